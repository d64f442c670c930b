// Reference for the cluster benchmark: the minimal Socket.IO room server of socketio-server.js
// (join -> joined (the others) + peer-joined, signal relayed to one member of the sender's room
// with `from` filled in, peer-left on disconnect), made a node of a cluster with
// @socket.io/redis-adapter 8.3.0 and the `redis` v4 client, as the adapter's README shows
// (createClient, duplicate() for the subscriber). Several of these on one Redis share rooms:
//   - room membership lives in the sockets themselves (socket.data = { peer, name }); a join
//     asks every node for the room's sockets with io.in(room).fetchSockets(), which the adapter
//     answers through Redis (a request to every node, an answer from each);
//   - each socket also joins a room of its own named after its peer id in its room, so that a
//     signal is io.to(that room).emit(...): exactly what io.to(socketId).emit does (a socket id
//     is a room too), one PUBLISH that reaches the node holding the target socket;
//   - peer-joined and peer-left are room broadcasts, which the adapter publishes to every node.
// Usage: node socketio-cluster-server.js PORT REDIS_URL   -> prints "READY PORT" once listening
// and connected to Redis. Without REDIS_URL it runs alone with Socket.IO's in-memory adapter.
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const redisUrl = process.argv[3];
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node socketio-cluster-server.js PORT [redis://HOST:PORT]');
  process.exit(2);
}

// A peer's own room: unique per (room, peer) as peer ids are unique within a room.
const peerRoom = (room, peer) => `p\n${room}\n${peer}`;

async function main() {
  const options = {
    transports: ['websocket'], // no long-polling: the same transport as the others
    perMessageDeflate: false,
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
  };
  const clients = [];
  if (redisUrl) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pubClient = createClient({ url: redisUrl });
    const subClient = pubClient.duplicate();
    for (const c of [pubClient, subClient]) c.on('error', (e) => console.error(`redis: ${e.message}`));
    await Promise.all([pubClient.connect(), subClient.connect()]);
    clients.push(pubClient, subClient);
    options.adapter = createAdapter(pubClient, subClient);
  }
  const httpServer = http.createServer();
  const io = new Server(httpServer, options);

  io.on('connection', (socket) => {
    let room = null;
    let peer = null;
    socket.on('join', async (m) => {
      if (room || !m || typeof m.room !== 'string' || typeof m.peer !== 'string') return;
      room = m.room;
      peer = m.peer;
      socket.data = { peer, name: m.name };
      // Join first, announce, then ask every node who is there: a member joining at the same
      // time on another node either is in the answer or gets our peer-joined after its join.
      socket.join([room, peerRoom(room, peer)]);
      socket.to(room).emit('peer-joined', { peer, name: m.name });
      let sockets;
      try {
        sockets = await io.in(room).fetchSockets();
      } catch (e) {
        return socket.emit('failure', { code: 'fetch-sockets', message: e.message });
      }
      const peers = [];
      const seen = new Set([peer]);
      for (const s of sockets) {
        if (s.id === socket.id || !s.data || seen.has(s.data.peer)) continue;
        seen.add(s.data.peer);
        peers.push({ peer: s.data.peer, name: s.data.name });
      }
      socket.emit('joined', { room, peer, peers });
    });
    socket.on('signal', (m) => {
      if (!room || !m || typeof m.to !== 'string') return;
      io.to(peerRoom(room, m.to)).emit('signal', { from: peer, data: m.data });
    });
    socket.on('disconnect', () => {
      if (room) io.to(room).emit('peer-left', { peer });
    });
  });

  await new Promise((resolve) => httpServer.listen(port, '127.0.0.1', resolve));
  console.log(`READY ${port}`);
  const stop = async () => {
    io.close();
    await Promise.allSettled(clients.map((c) => c.quit()));
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => { console.error(e); process.exit(1); });
