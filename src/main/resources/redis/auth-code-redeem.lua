-- Redeems an authorization code in one atomic step: of any number of concurrent presentations exactly one can
-- succeed, and every later one is reported as reuse (with the session the first one issued, to revoke it).
--
-- KEYS[1] the code's key
-- ARGV: 1 app id, 2 '1' when the client authenticated, 3 S256 of the presented code_verifier ('' for none),
--       4 redirect target to match ('' when the exchange names none), 5 the kind of flow the endpoint redeems,
--       6 how long a presented code is kept as a tombstone, in ms
-- A code presented (redeemed, or spent by a wrong verifier) keeps only its user's id from then on: the user's
-- email, phone and profile are not kept in Redis for the tombstone's ten minutes.
-- Returns one of
--   {'invalid'}                    unknown, expired, another app's code, or a code of another kind of flow (an
--                                  OpenID Connect code at the Autz.org userinfo endpoint, or the reverse): left
--                                  as it was, so the endpoint it was issued for can still redeem it
--   {'unauthenticated'}            a code without PKCE presented without client credentials
--   {'verifier'}                   PKCE challenge and verifier disagree, or one of them is missing: the code is
--                                  spent (marked reused), so a verifier cannot be guessed at, and a later
--                                  presentation is reported as reuse
--   {'reused', session, user}      already presented, now by one who could have redeemed it (the client for a
--                                  code without PKCE, the right verifier for one with it): marked
--                                  reused; session '' when none was issued yet (a presentation by anyone else of
--                                  a code already presented is {'invalid'}, and changes nothing)
--   {'ok', user, new_user, data, redirect}   redeemed
local code = redis.call('HMGET', KEYS[1], 'app', 'redirect', 'challenge', 'user', 'new_user', 'expires_at', 'state',
  'session', 'data')
if not code[1] or code[1] ~= ARGV[1] then
  return {'invalid'}
end
local decoded, data = pcall(cjson.decode, code[9] or '{}')
if not decoded or type(data) ~= 'table' or data['kind'] ~= ARGV[5] then
  return {'invalid'}
end
local function spend(state)
  local decoded_user, user = pcall(cjson.decode, code[4] or '')
  local id = decoded_user and type(user) == 'table' and user['id'] or nil
  local kept = id and cjson.encode({id = id}) or ''
  redis.call('HSET', KEYS[1], 'state', state, 'user', kept)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
if code[3] == '' and ARGV[2] ~= '1' then
  return {'unauthenticated'}
end
if code[7] ~= 'fresh' then
  -- Only a presenter who could have redeemed the code reports its reuse, which revokes the session it opened: the
  -- client for a code without PKCE (checked above), whoever holds the verifier for one with it, the client too (the
  -- client's credentials alone do not redeem such a code). Anyone who saw the code (it rides in a URL) could log its
  -- user out.
  if ARGV[3] ~= code[3] then
    return {'invalid'}
  end
  redis.call('HSET', KEYS[1], 'state', 'reused')
  return {'reused', code[8] or '', code[4] or ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(code[6]) then
  return {'invalid'}
end
if ARGV[4] ~= '' and ARGV[4] ~= code[2] then
  return {'invalid'}
end
-- Also a verifier presented for a code issued without a challenge (RFC 9700 2.1.1): a client that counts on PKCE would
-- otherwise redeem a code an attacker obtained in a flow of their own.
if ARGV[3] ~= code[3] then
  spend('reused')
  return {'verifier'}
end
spend('redeemed')
return {'ok', code[4], code[5], code[9], code[2]}
