// Reference: a minimal Socket.IO (npm `socket.io`) room server with the same semantics as
// PeddleNet's signaling: join -> joined (the others) + peer-joined, signal relayed to one
// member of the sender's room with `from` filled in, peer-left on disconnect.
// Usage: node socketio-server.js PORT   -> prints "READY PORT" once listening.
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  transports: ['websocket'], // no long-polling: the same transport as the others
  perMessageDeflate: false,
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
});
const rooms = new Map(); // room -> Map(peer -> { sid, name })

io.on('connection', (socket) => {
  let room = null;
  let peer = null;
  socket.on('join', (m) => {
    if (room || !m || typeof m.room !== 'string' || typeof m.peer !== 'string') return;
    room = m.room;
    peer = m.peer;
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Map()));
    const peers = [...members].map(([p, v]) => ({ peer: p, name: v.name }));
    members.set(peer, { sid: socket.id, name: m.name });
    socket.join(room);
    socket.emit('joined', { room, peer, peers });
    socket.to(room).emit('peer-joined', { peer, name: m.name });
  });
  socket.on('signal', (m) => {
    const target = room && m && rooms.get(room).get(m.to);
    if (!target) return socket.emit('failure', { code: 'no-such-peer' });
    io.to(target.sid).emit('signal', { from: peer, data: m.data });
  });
  socket.on('disconnect', () => {
    if (!room) return;
    const members = rooms.get(room);
    members.delete(peer);
    if (members.size === 0) rooms.delete(room);
    else io.to(room).emit('peer-left', { peer });
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`READY ${port}`));
