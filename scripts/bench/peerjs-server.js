// Reference: the PeerJS server (npm `peer`) as its users run it, on 127.0.0.1.
// Usage: node peerjs-server.js PORT   -> prints "READY PORT" once listening.
// concurrent_limit is raised from its default of 5000 so the idle scenario can reach the
// open-file limit, as anyone serving a festival would do.
'use strict';
const { PeerServer } = require('peer');

const port = Number(process.argv[2]);
PeerServer({ port, host: '127.0.0.1', path: '/', concurrent_limit: 1e9 }, () => {
  console.log(`READY ${port}`);
});
