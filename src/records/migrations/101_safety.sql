-- Safety (src/records/safe-zones.ts, src/records/alert-trail.ts). Numbered from 101: the safety
-- tables keep their own range of versions, apart from the calls' (001 on).

-- each patient's zones; `body` holds name, shape, schedule and alertOn as the caregiver wrote them
create table safe_zones (
  patient_id text        not null,
  zone_id    text        not null,
  version    integer     not null,
  body       jsonb       not null,
  updated_by text        not null,
  updated_at timestamptz not null,
  primary key (patient_id, zone_id)
);

-- one row per patient whose zones ever changed: raised with every change, in the same transaction
create table safe_zone_revisions (
  patient_id text   primary key,
  rev        bigint not null
);

-- one row per alert, its newest view (acknowledged wins over open, then the higher level)
create table safety_alerts (
  alert_id   text        primary key,
  patient_id text        not null,
  raised_at  timestamptz not null,
  state      text        not null check (state in ('open', 'acknowledged')),
  level      integer     not null,
  body       jsonb       not null
);
-- a patient's page, newest first (listAlerts)
create index safety_alerts_patient_raised on safety_alerts (patient_id, raised_at desc, alert_id desc);
-- the retention sweep (pruneAlerts)
create index safety_alerts_raised on safety_alerts (raised_at);

-- the audit trail: each event once
create table safety_alert_events (
  alert_id text        not null references safety_alerts (alert_id) on delete cascade,
  event    text        not null check (event in ('raised', 'escalated', 'acknowledged')),
  level    integer     not null,
  at       timestamptz not null,
  body     jsonb       not null,
  primary key (alert_id, event, level)
);
