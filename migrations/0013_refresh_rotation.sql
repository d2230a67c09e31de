-- Refresh-token rotation in one call (RFC 9700 s4.14.2, ASVS 10.4.5). Under the presented token's lock: a
-- token already used means it leaked - its session (the token family) is revoked and the reuse recorded; a
-- live token is marked used, its successor stored, the session's sliding expiry moved and the refresh
-- recorded. Everything the Worker needs to issue the access token comes back in the same answer.
--
-- `p`: token_hash, next_hash, now, sliding_seconds (the session's sliding lifetime), unverified_seconds (how
-- long an account that never verified its address may act), csrf_session (cookie mode: the session the
-- CSRF token names; another session's token changes nothing), ip and user_agent (for the security events).
-- Returns {outcome}: invalid, csrf_mismatch, reuse (with user_id, tenant_id, session_id,
-- absolute_expires_at) or rotated (with user {id, tenant_id, role}, session_id, absolute_expires_at).
CREATE OR REPLACE FUNCTION finedge_refresh(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  now_ timestamptz := (p->>'now')::timestamptz;
  token refresh_tokens;
  sess sessions;
  account users;
BEGIN
  SELECT * INTO token FROM refresh_tokens WHERE token_hash = p->>'token_hash' FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO sess FROM sessions WHERE id = token.session_id FOR UPDATE;
  IF p->>'csrf_session' IS NOT NULL AND p->>'csrf_session' <> sess.id::text THEN
    RETURN jsonb_build_object('outcome', 'csrf_mismatch');
  END IF;

  IF token.used_at IS NOT NULL THEN
    UPDATE sessions SET revoked_at = now_, revoked_reason = 'refresh_token_reuse'
     WHERE id = sess.id AND revoked_at IS NULL;
    INSERT INTO security_events (tenant_id, user_id, type, ip, user_agent, details)
    VALUES (sess.tenant_id, sess.user_id, 'refresh_token_reuse', (p->>'ip')::inet, p->>'user_agent',
            jsonb_build_object('sessionId', sess.id));
    RETURN jsonb_build_object('outcome', 'reuse', 'user_id', sess.user_id, 'tenant_id', sess.tenant_id,
                              'session_id', sess.id, 'absolute_expires_at', sess.absolute_expires_at);
  END IF;

  IF sess.revoked_at IS NOT NULL OR sess.expires_at <= now_ OR sess.absolute_expires_at <= now_ THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO account FROM users WHERE id = sess.user_id;
  IF NOT FOUND OR account.status <> 'active'
     OR (account.email_verified_at IS NULL
         AND account.created_at + make_interval(secs => (p->>'unverified_seconds')::int) <= now_) THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;

  UPDATE refresh_tokens SET used_at = now_ WHERE id = token.id;
  INSERT INTO refresh_tokens (session_id, token_hash) VALUES (sess.id, p->>'next_hash');
  UPDATE sessions
     SET last_used_at = now_,
         expires_at = least(now_ + make_interval(secs => (p->>'sliding_seconds')::int), sess.absolute_expires_at)
   WHERE id = sess.id;
  INSERT INTO security_events (tenant_id, user_id, type, ip, user_agent, details)
  VALUES (sess.tenant_id, sess.user_id, 'token_refreshed', (p->>'ip')::inet, p->>'user_agent',
          jsonb_build_object('sessionId', sess.id));
  RETURN jsonb_build_object('outcome', 'rotated',
                            'user', jsonb_build_object('id', account.id, 'tenant_id', account.tenant_id,
                                                       'role', account.role),
                            'session_id', sess.id, 'absolute_expires_at', sess.absolute_expires_at);
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_refresh(jsonb) TO finedge_app;
