// A small IVR written against Node's ari-client, which builds its API from
// the server's /ari/api-docs at connect (swagger-js). It answers each call,
// reads a few resources, plays a prompt and hangs up when the prompt ends,
// printing one JSON line per step for cmd/ariemu/ariclient_test.go.
//
//   node ivr.js URL USER PASSWORD APP MEDIA
'use strict';
const ari = require('ari-client');

const [url, user, password, app, media] = process.argv.slice(2);
const log = (o) => console.log(JSON.stringify(o));
const fail = (where) => (err) => {
  log({event: 'error', where: where, error: String((err && err.message) || err)});
  process.exit(1);
};

ari.connect(url, user, password).then(async (client) => {
  const resources = Object.keys(client._swagger.apis).sort();
  const info = await client.asterisk.getInfo({only: 'system'});
  log({event: 'connected', resources: resources, version: info.system.version});

  client.on('StasisStart', async (event, channel) => {
    try {
      log({event: 'StasisStart', channel: channel.id, args: event.args});
      await channel.answer();
      const sound = await client.sounds.get({soundId: media.replace(/^sound:/, '')});
      const exten = await channel.getChannelVar({variable: 'CALLERID(num)'});
      log({event: 'answered', sound: sound.id, caller: exten.value});
      const playback = client.Playback();
      playback.once('PlaybackFinished', (ev, pb) => {
        log({event: 'PlaybackFinished', playback: pb.id, state: pb.state});
        channel.hangup().then(() => log({event: 'hungup', channel: channel.id}), fail('hangup'));
      });
      await channel.play({media: media}, playback);
      log({event: 'playing', playback: playback.id});
    } catch (err) {
      fail('StasisStart')(err);
    }
  });
  client.on('WebSocketConnected', () => log({event: 'listening', app: app}));
  client.start(app);
}).catch(fail('connect'));
