-- Call history (src/records/call-history.ts): one row per user per call.
create table call_history (
  user_id     text        not null,
  call_id     text        not null,
  peer_id     text        not null,
  direction   text        not null check (direction in ('incoming', 'outgoing')),
  media       text        not null,
  kind        text        not null,
  started_at  timestamptz not null,
  answered_at timestamptz,
  ended_at    timestamptz not null,
  reason      text        not null,
  escalated   boolean     not null default false,
  primary key (user_id, call_id)
);

-- a user's page, newest first (listCalls)
create index call_history_user_started on call_history (user_id, started_at desc, call_id desc);
-- the retention sweep (pruneCalls)
create index call_history_ended on call_history (ended_at);
