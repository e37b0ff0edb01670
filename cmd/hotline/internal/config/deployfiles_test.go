package config

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeployFiles keeps the hotline.yaml files of deploy/ valid: the one
// compose.yaml mounts and the one in the Kubernetes ConfigMap. (Package
// deploy's tests check they agree with the rest of the deployment; this
// package is internal, so the check that they parse lives here.)
func TestDeployFiles(t *testing.T) {
	files := map[string][]byte{}
	const compose = "../../../../deploy/compose/hotline.yaml"
	data, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	files[compose] = data

	const k8s = "../../../../deploy/kubernetes/configmap.yaml"
	data, err = os.ReadFile(k8s)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	// The first document is hotline-config.
	if err := yaml.Unmarshal(data, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data["hotline.yaml"] == "" {
		t.Fatalf("%s: no hotline.yaml in the first ConfigMap", k8s)
	}
	files[k8s+" (hotline.yaml)"] = []byte(cm.Data["hotline.yaml"])

	for name, data := range files {
		cfg, err := Parse(name, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if cfg.Flows.Dir != "/etc/hotline/flows" {
			t.Errorf("%s: flows.dir %q, want /etc/hotline/flows where the flows are mounted", name, cfg.Flows.Dir)
		}
	}
}
