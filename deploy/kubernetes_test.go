package deploy

import (
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The parts of the Kubernetes objects the test reads.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type string `yaml:"type"`
		} `yaml:"strategy"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
		MaxUnavailable *int `yaml:"maxUnavailable"`
	} `yaml:"spec"`
	// A Service's selector is a plain map (spec.selector).
	ServiceSelector map[string]string `yaml:"-"`
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []struct {
		Name  string   `yaml:"name"`
		Args  []string `yaml:"args"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		ReadinessProbe k8sProbe `yaml:"readinessProbe"`
		LivenessProbe  k8sProbe `yaml:"livenessProbe"`
		Lifecycle      struct {
			PreStop struct {
				Sleep struct {
					Seconds int `yaml:"seconds"`
				} `yaml:"sleep"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port string `yaml:"port"`
	} `yaml:"tcpSocket"`
}

// readManifests decodes every document of every YAML file of kubernetes/
// that kustomization.yaml lists, by kind and name.
func readManifests(t *testing.T) map[string]*k8sObject {
	t.Helper()
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	data, err := os.ReadFile(filepath.Join("kubernetes", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &kust); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(kust.Resources, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
	objs := map[string]*k8sObject{}
	for _, r := range kust.Resources {
		f, err := os.Open(filepath.Join("kubernetes", r))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(f)
		for {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			o := new(k8sObject)
			if err := node.Decode(o); err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if o.Kind == "Service" {
				var svc struct {
					Spec struct {
						Selector map[string]string `yaml:"selector"`
					} `yaml:"spec"`
				}
				if err := node.Decode(&svc); err != nil {
					t.Fatal(err)
				}
				o.ServiceSelector = svc.Spec.Selector
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: an object without apiVersion, kind or name", r)
			}
			objs[o.Kind+"/"+o.Metadata.Name] = o
		}
		f.Close()
	}
	return objs
}

func subset(sub, of map[string]string) bool {
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return len(sub) > 0
}

// TestKubernetes: the Deployment's probes, drain and environment agree
// with the configuration its ConfigMap holds and the names the
// configuration reads; every object it names exists.
func TestKubernetes(t *testing.T) {
	objs := readManifests(t)
	dep := objs["Deployment/hotline"]
	cm := objs["ConfigMap/hotline-config"]
	flowsCM := objs["ConfigMap/hotline-flows"]
	secret := objs["Secret/hotline-secrets"]
	if dep == nil || cm == nil || flowsCM == nil || secret == nil || objs["Service/hotline"] == nil || objs["PodDisruptionBudget/hotline"] == nil {
		t.Fatalf("want Deployment, ConfigMaps hotline-config and hotline-flows, Secret, Service and PodDisruptionBudget hotline; have %v", slices.Sorted(maps.Keys(objs)))
	}
	cfg := parseHotlineConfig(t, "ConfigMap hotline-config", []byte(cm.Data["hotline.yaml"]))

	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 || dep.Spec.Strategy.Type != "Recreate" {
		t.Error("Deployment: one replica, strategy Recreate: one Hotline drives an Asterisk's application at a time")
	}
	pod := dep.Spec.Template.Spec
	if !subset(dep.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels) {
		t.Error("Deployment: the selector does not match the pod's labels")
	}
	if !pod.SecurityContext.RunAsNonRoot {
		t.Error("Deployment: runAsNonRoot is not set")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment: %d containers, want hotline alone", len(pod.Containers))
	}
	c := pod.Containers[0]
	if sc := c.SecurityContext; sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !sc.ReadOnlyRootFilesystem {
		t.Error("Deployment: the container must not escalate privileges and must have a read-only root")
	}

	// The probes: readiness on /healthz at Hotline's http.listen port;
	// liveness anything but /healthz (503 while Asterisk is away).
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	rp := c.ReadinessProbe.HTTPGet
	if rp == nil || rp.Path != "/healthz" || ports[rp.Port] != port(t, cfg.HTTP.Listen) {
		t.Errorf("readinessProbe: want GET /healthz on the port of http.listen %s", cfg.HTTP.Listen)
	}
	switch lp := c.LivenessProbe; {
	case lp.HTTPGet == nil && lp.TCPSocket == nil:
		t.Error("no livenessProbe")
	case lp.HTTPGet != nil && lp.HTTPGet.Path == "/healthz":
		t.Error("livenessProbe on /healthz restarts Hotline whenever Asterisk is unreachable")
	case lp.TCPSocket != nil && ports[lp.TCPSocket.Port] != port(t, cfg.HTTP.Listen):
		t.Errorf("livenessProbe: port %s is not http.listen's", lp.TCPSocket.Port)
	}

	// The drain: preStop pause, then SIGTERM and http.shutdown_timeout,
	// all within the grace period.
	pause := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second
	if pause <= 0 {
		t.Error("no preStop pause before SIGTERM")
	}
	if drain := cfg.shutdownTimeout(t); grace <= pause+drain {
		t.Errorf("terminationGracePeriodSeconds %v <= preStop %v + http.shutdown_timeout %v: SIGKILL would cut the drain", grace, pause, drain)
	}

	// The environment: the configuration's names, from the Secret.
	names := envNames(t)
	var set []string
	for _, e := range c.Env {
		set = append(set, e.Name)
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name != secret.Metadata.Name {
			t.Errorf("env %s does not come from Secret %s", e.Name, secret.Metadata.Name)
		} else if _, ok := secret.StringData[ref.Key]; !ok {
			t.Errorf("env %s reads key %s, which Secret %s lacks", e.Name, ref.Key, ref.Name)
		}
	}
	slices.Sort(set)
	if !slices.Equal(set, names) {
		t.Errorf("Deployment env %v, want the configuration's %v", set, names)
	}
	for k := range secret.StringData {
		if !slices.Contains(names, k) {
			t.Errorf("Secret key %s is no variable the configuration reads", k)
		}
	}

	// The volumes: config at --config, flows at flows.dir, data at the
	// working directory.
	mounts := map[string]string{} // mount path -> volume name
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	vols := map[string]string{} // volume name -> ConfigMap or claim
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil:
			vols[v.Name] = "ConfigMap/" + v.ConfigMap.Name
		case v.PersistentVolumeClaim != nil:
			vols[v.Name] = "PersistentVolumeClaim/" + v.PersistentVolumeClaim.ClaimName
		}
		if objs[vols[v.Name]] == nil {
			t.Errorf("volume %s: %s does not exist", v.Name, vols[v.Name])
		}
	}
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("args %q: want serve --config FILE", c.Args)
	}
	if dir, file := filepath.Split(c.Args[i+1]); vols[mounts[filepath.Clean(dir)]] != "ConfigMap/hotline-config" || cm.Data[file] == "" {
		t.Errorf("--config %s is not hotline-config's %s", c.Args[i+1], file)
	}
	if vols[mounts[cfg.Flows.Dir]] != "ConfigMap/hotline-flows" {
		t.Errorf("flows.dir %s is not where hotline-flows is mounted", cfg.Flows.Dir)
	}
	if !strings.HasPrefix(vols[mounts["/var/lib/hotline"]], "PersistentVolumeClaim/") {
		t.Error("/var/lib/hotline (spool, recordings) must be a persistent volume")
	}
	// The flows are the demo's, as in cmd/hotline/flows.
	demo, _ := filepath.Glob(filepath.Join("..", "cmd", "hotline", "flows", "*.yaml"))
	if len(demo) != len(flowsCM.Data) {
		t.Errorf("hotline-flows has %d flows, cmd/hotline/flows %d", len(flowsCM.Data), len(demo))
	}
	for _, f := range demo {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if flowsCM.Data[filepath.Base(f)] != string(want) {
			t.Errorf("hotline-flows' %s differs from %s", filepath.Base(f), f)
		}
	}

	// Service and PodDisruptionBudget select the pods.
	svc := objs["Service/hotline"]
	if !subset(svc.ServiceSelector, dep.Spec.Template.Metadata.Labels) {
		t.Error("Service hotline does not select the Deployment's pods")
	}
	pdb := objs["PodDisruptionBudget/hotline"]
	if !subset(pdb.Spec.Selector.MatchLabels, dep.Spec.Template.Metadata.Labels) || pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != 1 {
		t.Error("PodDisruptionBudget hotline: want maxUnavailable 1 over the Deployment's pods")
	}
}
