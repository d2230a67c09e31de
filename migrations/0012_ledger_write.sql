-- A money-moving write in one call. The Worker reads what it needs in one batch, decides (the terms, the
-- entries, whether the books allow it, the response), and sends the decision here; this function then does,
-- in one transaction and one round trip, what must be done under the portfolio's lock: claims the
-- Idempotency-Key (or replays what it recorded), re-checks that the caller still holds the permission and that
-- what the decision rested on still holds, checks every account has what the write takes, posts, writes the
-- audit event, and records the response under the key - refusals included.
--
-- The book's version: changes whenever what the books contain changes (a transaction added, one settled or
-- cancelled), so a decision made by replaying the books can be checked for staleness under the lock. Counted
-- over the rows that are or may become part of the books, as the Worker reads them.
CREATE OR REPLACE FUNCTION finedge_book_version(portfolio uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT count(*) FILTER (WHERE status = 'pending') || ':' || count(*) FILTER (WHERE status = 'settled')
         || ':' || coalesce(max(seq), 0)
    FROM portfolio_transactions WHERE portfolio_id = portfolio AND status <> 'cancelled'
$$;
--> statement-breakpoint
-- Whether the caller still holds a permission in an organization (or, with none, in the tenant), read now
-- rather than trusted from the decision: an active user whose tenant role (for the tenant, or when it is
-- tenant-wide) or whose role in the organization is one of `roles`; or a live API key with `scope`, confined
-- to no organization or to this one. The tenant must be active.
CREATE OR REPLACE FUNCTION finedge_caller_holds(tenant uuid, caller jsonb, organization uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM tenants t WHERE t.id = tenant AND t.status = 'active')
     AND CASE caller->>'type'
       WHEN 'user' THEN EXISTS (
         SELECT 1 FROM users u
          WHERE u.id = (caller->>'id')::uuid AND u.tenant_id = tenant AND u.status = 'active'
            AND CASE WHEN organization IS NULL OR u.role IN (SELECT jsonb_array_elements_text(caller->'tenant_wide'))
                     THEN u.role IN (SELECT jsonb_array_elements_text(caller->'roles'))
                     ELSE EXISTS (SELECT 1 FROM memberships m
                                   WHERE m.user_id = u.id AND m.tenant_id = tenant AND m.organization_id = organization
                                     AND m.role IN (SELECT jsonb_array_elements_text(caller->'roles')))
                END)
       WHEN 'api_key' THEN EXISTS (
         SELECT 1 FROM api_keys k
          WHERE k.id = (caller->>'id')::uuid AND k.tenant_id = tenant AND k.revoked_at IS NULL
            AND (k.expires_at IS NULL OR k.expires_at > now())
            AND (organization IS NULL OR k.organization_id IS NULL OR k.organization_id = organization)
            AND caller->>'scope' = ANY (k.scopes))
       ELSE false
     END
$$;
--> statement-breakpoint
-- Appends an audit event given as JSON (snake_case columns); the chain trigger fills seq, hashes and time.
CREATE OR REPLACE FUNCTION finedge_append_audit(tenant uuid, e jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO audit_events (tenant_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary,
                            request_id, ip, prev_hash, hash)
  VALUES (tenant, 0, e->>'actor_type', (e->>'actor_id')::uuid, e->>'action', e->>'resource_type',
          e->>'resource_id', coalesce(e->'summary', '{}'::jsonb), e->>'request_id', (e->>'ip')::inet, '', '')
$$;
--> statement-breakpoint
-- Records a response under an Idempotency-Key (replacing an expired one), to be replayed until it expires.
CREATE OR REPLACE FUNCTION finedge_record_response(tenant uuid, idem jsonb, response jsonb) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO idempotency_keys (tenant_id, key, route, request_hash, response_status, response_body,
                                response_content_type, created_at, expires_at)
  VALUES (tenant, idem->>'key', idem->>'route', idem->>'hash', (response->>'status')::int, response->>'body',
          response->>'content_type', (idem->>'now')::timestamptz, (idem->>'expires_at')::timestamptz)
  ON CONFLICT (tenant_id, key, route) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, response_content_type = EXCLUDED.response_content_type,
        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
$$;
--> statement-breakpoint
-- The start of every decided write (`p` as below: tenant_id, idempotency, refusal). It must run in the
-- tenant's own scope. Under an Idempotency-Key (key, route, hash, now, expires_at, replay_audit) the key is
-- claimed until the transaction ends - a lock never held across round trips. Returns NULL when the write may
-- go ahead, else the outcome to return: in_flight (a duplicate holds the key), reused (the key names another
-- request), replayed (the recorded answer; the replay is audited), or refused (a refusal the Worker decided,
-- now recorded under the key).
CREATE OR REPLACE FUNCTION finedge_write_begin(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  idem jsonb := nullif(p->'idempotency', 'null'::jsonb);
  stored idempotency_keys;
BEGIN
  IF tenant IS DISTINCT FROM nullif(current_setting('finedge.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'finedge_write_begin: called outside the tenant''s scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF idem IS NOT NULL THEN
    IF NOT pg_try_advisory_xact_lock(
         hashtextextended('idempotency:' || tenant || ':' || (idem->>'route') || ':' || (idem->>'key'), 0)) THEN
      RETURN jsonb_build_object('outcome', 'in_flight');
    END IF;
    SELECT * INTO stored FROM idempotency_keys
     WHERE tenant_id = tenant AND key = idem->>'key' AND route = idem->>'route'
       AND expires_at > (idem->>'now')::timestamptz;
    IF FOUND THEN
      IF stored.request_hash <> idem->>'hash' THEN
        RETURN jsonb_build_object('outcome', 'reused');
      END IF;
      PERFORM finedge_append_audit(tenant,
        jsonb_set(idem->'replay_audit', '{summary,after,status}', to_jsonb(stored.response_status)));
      RETURN jsonb_build_object('outcome', 'replayed', 'status', stored.response_status,
                                'body', stored.response_body, 'content_type', stored.response_content_type);
    END IF;
  END IF;
  IF nullif(p->'refusal', 'null'::jsonb) IS NOT NULL THEN
    IF idem IS NOT NULL THEN PERFORM finedge_record_response(tenant, idem, p->'refusal'); END IF;
    RETURN (p->'refusal') || jsonb_build_object('outcome', 'refused');
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The end of every decided write: its audit events appended, its answer recorded under the Idempotency-Key
-- (if any) and returned as done.
CREATE OR REPLACE FUNCTION finedge_write_end(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  idem jsonb := nullif(p->'idempotency', 'null'::jsonb);
  item jsonb;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'audit', '[]'::jsonb)) LOOP
    PERFORM finedge_append_audit(tenant, item);
  END LOOP;
  IF idem IS NOT NULL THEN PERFORM finedge_record_response(tenant, idem, p->'response'); END IF;
  RETURN (p->'response') || jsonb_build_object('outcome', 'done');
END;
$$;
--> statement-breakpoint
-- The write. `p` (built by src/services/portfolios/ledger-call.ts):
--   tenant_id; caller (for finedge_caller_holds); idempotency {key, route, hash, now, expires_at,
--   replay_audit} or null; refusal {status, body, content_type}: a refusal the Worker decided, only to record;
--   portfolio {id, organization_id, status, allow_negative_cash, book | newest_at}: what the decision rested on;
--   holds [{kind, unit, amount, may_go_negative, refusal}]: what must be available, with the refusal if not;
--   accounts [{kind, unit, asset_id, may_go_negative}] to open; reserve [{kind, unit, delta}];
--   status_change {id, status, at}; transaction (a portfolio_transactions row); postings [{kind, unit, amount}]
--   for `posting_transaction_id`, in order; at (the write's time); audit [events]; response {status, body,
--   content_type}.
-- Returns {outcome, status, body, content_type}: outcome is done, refused or replayed (with the response),
-- in_flight (a duplicate holds the key), reused (the key names another request), or stale (what the decision
-- rested on changed: nothing was written, decide again).
CREATE OR REPLACE FUNCTION finedge_ledger_write(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  tenant uuid := (p->>'tenant_id')::uuid;
  idem jsonb := nullif(p->'idempotency', 'null'::jsonb);
  expected jsonb := p->'portfolio';
  begun jsonb;
  folio portfolios;
  item jsonb;
  acct ledger_accounts;
  txn portfolio_transactions;
BEGIN
  begun := finedge_write_begin(p);
  IF begun IS NOT NULL THEN
    RETURN begun;
  END IF;

  -- What the decision rested on, under the portfolio's lock.
  SELECT * INTO folio FROM portfolios WHERE tenant_id = tenant AND id = (expected->>'id')::uuid FOR UPDATE;
  IF NOT FOUND
     OR folio.status <> expected->>'status'
     OR folio.organization_id <> (expected->>'organization_id')::uuid
     OR folio.allow_negative_cash <> (expected->>'allow_negative_cash')::boolean
     OR NOT finedge_caller_holds(tenant, p->'caller', folio.organization_id)
     OR (expected ? 'book' AND finedge_book_version(folio.id) <> expected->>'book')
     OR (expected ? 'newest_at' AND EXISTS (
           SELECT 1 FROM portfolio_transactions t
            WHERE t.portfolio_id = folio.id AND t.status <> 'cancelled'
              AND t.executed_at > (expected->>'newest_at')::timestamptz))
     OR (p ? 'status_change' AND NOT EXISTS (
           SELECT 1 FROM portfolio_transactions t
            WHERE t.portfolio_id = folio.id AND t.id = (p->'status_change'->>'id')::uuid AND t.status = 'pending'))
  THEN
    RETURN jsonb_build_object('outcome', 'stale');
  END IF;

  -- Today's balances: each account gives at most what it has available (a new account has nothing).
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'holds', '[]'::jsonb)) LOOP
    SELECT * INTO acct FROM ledger_accounts
     WHERE portfolio_id = folio.id AND kind = item->>'kind' AND unit = item->>'unit';
    IF NOT coalesce(acct.may_go_negative, (item->>'may_go_negative')::boolean)
       AND coalesce(acct.balance - acct.reserved, 0) < (item->>'amount')::numeric THEN
      IF idem IS NOT NULL THEN PERFORM finedge_record_response(tenant, idem, item->'refusal'); END IF;
      RETURN (item->'refusal') || jsonb_build_object('outcome', 'refused');
    END IF;
  END LOOP;

  INSERT INTO ledger_accounts (tenant_id, portfolio_id, kind, unit, asset_id, may_go_negative)
  SELECT tenant, folio.id, a->>'kind', a->>'unit', (a->>'asset_id')::uuid, (a->>'may_go_negative')::boolean
    FROM jsonb_array_elements(coalesce(p->'accounts', '[]'::jsonb)) AS a
  ON CONFLICT (portfolio_id, kind, unit) DO NOTHING;

  -- Releases before holds, so no intermediate reserve exceeds a balance.
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'reserve', '[]'::jsonb))
              ORDER BY (value->>'delta')::numeric LOOP
    UPDATE ledger_accounts SET reserved = reserved + (item->>'delta')::numeric
     WHERE portfolio_id = folio.id AND kind = item->>'kind' AND unit = item->>'unit';
  END LOOP;

  IF p ? 'status_change' THEN
    UPDATE portfolio_transactions
       SET status = p->'status_change'->>'status',
           settled_at = CASE WHEN p->'status_change'->>'status' = 'settled'
                             THEN (p->'status_change'->>'at')::timestamptz END,
           cancelled_at = CASE WHEN p->'status_change'->>'status' = 'cancelled'
                               THEN (p->'status_change'->>'at')::timestamptz END
     WHERE portfolio_id = folio.id AND id = (p->'status_change'->>'id')::uuid;
  END IF;

  IF p ? 'transaction' THEN
    txn := jsonb_populate_record(NULL::portfolio_transactions, p->'transaction');
    INSERT INTO portfolio_transactions (id, tenant_id, portfolio_id, type, status, asset_id, quantity, price,
                                        price_source, amount, fees, currency, executed_at, note, reversal_of,
                                        created_by_type, created_by, created_at, settled_at, cancelled_at)
    VALUES (txn.id, tenant, folio.id, txn.type, txn.status, txn.asset_id, txn.quantity, txn.price,
            txn.price_source, txn.amount, txn.fees, txn.currency, txn.executed_at, txn.note, txn.reversal_of,
            txn.created_by_type, txn.created_by, txn.created_at, txn.settled_at, txn.cancelled_at);
  END IF;

  -- One entry at a time, in the given order (increases first): the accounts' CHECK is judged after each.
  FOR item IN SELECT value FROM jsonb_array_elements(coalesce(p->'postings', '[]'::jsonb)) WITH ORDINALITY
              ORDER BY ordinality LOOP
    INSERT INTO ledger_postings (tenant_id, portfolio_id, transaction_id, account_id, unit, amount, created_at)
    SELECT tenant, folio.id, (p->>'posting_transaction_id')::uuid, a.id, a.unit, (item->>'amount')::numeric,
           coalesce((p->>'at')::timestamptz, now())
      FROM ledger_accounts a
     WHERE a.portfolio_id = folio.id AND a.kind = item->>'kind' AND a.unit = item->>'unit';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'finedge_ledger_write: no % account in %', item->>'kind', item->>'unit'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  END LOOP;

  RETURN finedge_write_end(p);
END;
$$;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finedge_book_version(uuid), finedge_caller_holds(uuid, jsonb, uuid),
  finedge_append_audit(uuid, jsonb), finedge_record_response(uuid, jsonb, jsonb),
  finedge_write_begin(jsonb), finedge_write_end(jsonb), finedge_ledger_write(jsonb)
  TO finedge_app;
