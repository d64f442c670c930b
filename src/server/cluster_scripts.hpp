// cluster_scripts.hpp: the Lua scripts that change a room in Redis. Each runs atomically, so
// the cluster-wide rules hold however many nodes join at once: the room size limit, the room
// count limit, one socket per peer id (a refresh on another node replaces the old one), and
// grace periods timed by Redis's clock. Each change bumps the room's counter and publishes its
// event on the room's channel (cluster_wire.hpp has the formats and the key names).
// Needs: Redis 7 (scripts call TIME and publish).
//  [X] join: limits, the member record, the grace period ended, event J; the room's full state
//      when the node asks (its first member there)
//  [X] leave / away: only the join that owns the record (node and session) may end it
//  [X] tick: the node's heartbeat; members of nodes whose heartbeat expired go away (grace);
//      grace periods that ended leave
//  [X] restore: after Redis came back or lost the node, the node's members are put back and
//      the room's state returned
#pragma once

namespace peddlenet::server::cluster {

// Shared by the scripts: reading a record, and writing an event.
#define PEDDLENET_LUA_COMMON                                                                       \
    "local function split(rec)\n"                                                                  \
    "  local a = string.find(rec, '|', 1, true)\n"                                                 \
    "  local b = string.find(rec, '|', a + 1, true)\n"                                             \
    "  local c = string.find(rec, '|', b + 1, true)\n"                                             \
    "  local d = string.find(rec, '|', c + 1, true)\n"                                             \
    "  return string.sub(rec, 1, a - 1), string.sub(rec, a + 1, b - 1),\n"                         \
    "         string.sub(rec, b + 1, c - 1), tonumber(string.sub(rec, c + 1, d - 1)),\n"          \
    "         string.sub(rec, d + 1)\n"                                                            \
    "end\n"                                                                                        \
    "local function now_ms()\n"                                                                    \
    "  local t = redis.call('TIME')\n"                                                             \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                         \
    "end\n"                                                                                        \
    "local function event(room, text)\n"                                                           \
    "  local seq = redis.call('INCR', 'pn:{' .. room .. '}:seq')\n"                                \
    "  local e = string.sub(text, 1, 2) .. seq .. string.sub(text, 2)\n"                           \
    "  redis.call('PUBLISH', 'pn:{' .. room .. '}:ev', e)\n"                                       \
    "  return seq, e\n"                                                                            \
    "end\n"                                                                                        \
    "local function emptied(room)\n"                                                               \
    "  if redis.call('EXISTS', 'pn:{' .. room .. '}:m') == 0 then\n"                               \
    "    redis.call('SREM', 'pn:rooms', room)\n"                                                   \
    "    redis.call('PEXPIRE', 'pn:{' .. room .. '}:seq', 86400000)\n"                             \
    "  end\n"                                                                                      \
    "end\n"                                                                                        \
    "local function registered(node, ttl)\n"                                                       \
    "  redis.call('SET', 'pn:node:' .. node, '1', 'PX', ttl, 'NX')\n"                                \
    "  redis.call('SADD', 'pn:nodes', node)\n"                                                      \
    "end\n"                                                                                        \
    "local function go_away(room, peer, node, session, name, grace)\n"                             \
    "  local deadline = now_ms() + grace\n"                                                        \
    "  redis.call('HSET', 'pn:{' .. room .. '}:m', peer,\n"                                        \
    "             node .. '|' .. session .. '|A|' .. deadline .. '|' .. name)\n"                   \
    "  redis.call('ZADD', 'pn:grace', deadline, room .. '|' .. peer)\n"                            \
    "  return event(room, 'A|' .. peer)\n"                                                         \
    "end\n"

// KEYS: none (one room's keys are built from ARGV[1]).
// ARGV: room, peer, node, session, name, max_peers, max_rooms, want_state ("1" or "0"),
// heartbeat_ttl_ms (a node's first join registers it, so its members are reaped if it dies
// before its first heartbeat).
// Returns {"room-full"} or {"too-many-rooms"}, else {seq, event[, state]}; state is
// {seq, peer, record, peer, record, ...}.
inline constexpr const char* join_script = PEDDLENET_LUA_COMMON
    "local room, peer, node, session, name = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
    "local members = 'pn:{' .. room .. '}:m'\n"
    "if redis.call('HEXISTS', members, peer) == 0 then\n"
    "  local n = redis.call('HLEN', members)\n"
    "  if n >= tonumber(ARGV[6]) then return {'room-full'} end\n"
    "  if n == 0 and redis.call('SCARD', 'pn:rooms') >= tonumber(ARGV[7]) then\n"
    "    return {'too-many-rooms'}\n"
    "  end\n"
    "end\n"
    "registered(node, ARGV[9])\n"
    "redis.call('SADD', 'pn:rooms', room)\n"
    "redis.call('PERSIST', 'pn:{' .. room .. '}:seq')\n"
    "redis.call('HSET', members, peer, node .. '|' .. session .. '|L|0|' .. name)\n"
    "redis.call('SADD', 'pn:noderooms:' .. node, room)\n"
    "redis.call('ZREM', 'pn:grace', room .. '|' .. peer)\n"
    "local seq, e = event(room, 'J|' .. peer .. '|' .. node .. '|' .. session .. '|' .. name)\n"
    "if ARGV[8] == '1' then\n"
    "  local state = redis.call('HGETALL', members)\n"
    "  table.insert(state, 1, seq)\n"
    "  return {seq, e, state}\n"
    "end\n"
    "return {seq, e}\n";

// ARGV: room, peer, node, session, grace_ms ("-1": leave now). Returns the event's seq, or 0
// when the record is not this join's (a newer join owns it, or it is gone).
inline constexpr const char* leave_script = PEDDLENET_LUA_COMMON
    "local room, peer, node, session, grace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])\n"
    "local members = 'pn:{' .. room .. '}:m'\n"
    "local rec = redis.call('HGET', members, peer)\n"
    "if not rec then return 0 end\n"
    "local n, s, state, deadline, name = split(rec)\n"
    "if n ~= node or s ~= session then return 0 end\n"
    "if grace >= 0 then return (go_away(room, peer, node, session, name, grace)) end\n"
    "redis.call('HDEL', members, peer)\n"
    "redis.call('ZREM', 'pn:grace', room .. '|' .. peer)\n"
    "local seq = event(room, 'L|' .. peer)\n"
    "emptied(room)\n"
    "return seq\n";

// ARGV: node, ttl_ms, grace_ms, max_expiries. Returns 1 when the node's heartbeat was still
// there, 0 when it had expired or Redis lost it (then the node restores its rooms).
inline constexpr const char* tick_script = PEDDLENET_LUA_COMMON
    "local node, ttl, grace, most = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local was = redis.call('SET', 'pn:node:' .. node, '1', 'PX', ttl, 'GET')\n"
    "redis.call('SADD', 'pn:nodes', node)\n"
    "for _, other in ipairs(redis.call('SMEMBERS', 'pn:nodes')) do\n"
    "  if other ~= node and redis.call('EXISTS', 'pn:node:' .. other) == 0 then\n"
    "    for _, room in ipairs(redis.call('SMEMBERS', 'pn:noderooms:' .. other)) do\n"
    "      local all = redis.call('HGETALL', 'pn:{' .. room .. '}:m')\n"
    "      for i = 1, #all, 2 do\n"
    "        local n, s, state, deadline, name = split(all[i + 1])\n"
    "        if n == other and state == 'L' then go_away(room, all[i], n, s, name, grace) end\n"
    "      end\n"
    "    end\n"
    "    redis.call('DEL', 'pn:noderooms:' .. other)\n"
    "    redis.call('SREM', 'pn:nodes', other)\n"
    "  end\n"
    "end\n"
    "local now = now_ms()\n"
    "for _, item in ipairs(redis.call('ZRANGEBYSCORE', 'pn:grace', '-inf', now, 'LIMIT', 0, most)) do\n"
    "  local bar = string.find(item, '|', 1, true)\n"
    "  local room, peer = string.sub(item, 1, bar - 1), string.sub(item, bar + 1)\n"
    "  local members = 'pn:{' .. room .. '}:m'\n"
    "  local rec = redis.call('HGET', members, peer)\n"
    "  if rec then\n"
    "    local n, s, state, deadline = split(rec)\n"
    "    if state == 'A' and deadline <= now then\n"
    "      redis.call('HDEL', members, peer)\n"
    "      event(room, 'L|' .. peer)\n"
    "      emptied(room)\n"
    "    end\n"
    "  end\n"
    "  redis.call('ZREM', 'pn:grace', item)\n"
    "end\n"
    "if was then return 1 end\n"
    "return 0\n";

// ARGV: room, node, grace_ms, heartbeat_ttl_ms, then for each member this node holds there: peer, session,
// state ("L" live, "A" in its grace period), name. Members recorded on this node that it no
// longer holds leave. A member another node holds now is left to that node. Returns the room's
// state: {seq, peer, record, ...}.
inline constexpr const char* restore_script = PEDDLENET_LUA_COMMON
    "local room, node, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "registered(node, ARGV[4])\n"
    "local members = 'pn:{' .. room .. '}:m'\n"
    "local held = {}\n"
    "for i = 5, #ARGV, 4 do\n"
    "  local peer, session, state, name = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
    "  held[peer] = true\n"
    "  local rec = redis.call('HGET', members, peer)\n"
    "  local n, s, st = nil, nil, nil\n"
    "  if rec then n, s, st = split(rec) end\n"
    "  if not rec or n == node then\n"
    "    if s ~= session then\n"
    "      redis.call('HSET', members, peer, node .. '|' .. session .. '|L|0|' .. name)\n"
    "      event(room, 'J|' .. peer .. '|' .. node .. '|' .. session .. '|' .. name)\n"
    "      st = 'L'\n"
    "    end\n"
    "    if state == 'A' and st ~= 'A' then go_away(room, peer, node, session, name, grace) end\n"
    "    if state == 'L' and st == 'A' then\n"
    "      redis.call('HSET', members, peer, node .. '|' .. session .. '|L|0|' .. name)\n"
    "      redis.call('ZREM', 'pn:grace', room .. '|' .. peer)\n"
    "      event(room, 'J|' .. peer .. '|' .. node .. '|' .. session .. '|' .. name)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local all = redis.call('HGETALL', members)\n"
    "for i = 1, #all, 2 do\n"
    "  local n = split(all[i + 1])\n"
    "  if n == node and not held[all[i]] then\n"
    "    redis.call('HDEL', members, all[i])\n"
    "    event(room, 'L|' .. all[i])\n"
    "  end\n"
    "end\n"
    "if redis.call('EXISTS', members) == 1 then\n"
    "  redis.call('SADD', 'pn:rooms', room)\n"
    "  redis.call('PERSIST', 'pn:{' .. room .. '}:seq')\n"
    "  redis.call('SADD', 'pn:noderooms:' .. node, room)\n"
    "else\n"
    "  emptied(room)\n"
    "end\n"
    "local state = redis.call('HGETALL', members)\n"
    "table.insert(state, 1, tonumber(redis.call('GET', 'pn:{' .. room .. '}:seq') or '0'))\n"
    "return state\n";

#undef PEDDLENET_LUA_COMMON

} // namespace peddlenet::server::cluster
