/**
 * The Tether dashboard, built with Grafana's foundation SDK so that every field is type-checked;
 * `npm run deploy:render` writes it to deploy/grafana/dashboards/tether.json, which Compose
 * provisions into Grafana, and test/deploy-static.test.ts checks the JSON is current and that
 * every metric it queries is one a node exports.
 *
 * The safety panels query `tether_alerts_open` (gauge: every node reports the cluster's count,
 * so it is aggregated with max) and `tether_alerts_raised_total{kind}` (counter).
 */
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

const DS = { type: 'prometheus', uid: '${datasource}' };

function query(expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend);
}

function series(title: string, unit: string, description: string, ...targets: DataqueryBuilder[]): TimeseriesBuilder {
  const panel = new TimeseriesBuilder().title(title).description(description).unit(unit).datasource(DS).height(8).span(12);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

function stat(title: string, description: string, expr: string): StatBuilder {
  return new StatBuilder().title(title).description(description).datasource(DS).height(4).span(6).withTarget(query(expr, '{{instance}}'));
}

const p99 = (metric: string, by: string): string =>
  `histogram_quantile(0.99, sum by (le, ${by}) (rate(${metric}_bucket[$__rate_interval])))`;

export function tetherDashboard(): Dashboard {
  return new DashboardBuilder('Tether')
    .uid('tether-overview')
    .tags(['tether'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withRow(new RowBuilder('Nodes'))
    .withPanel(stat('Ready nodes', 'nodes whose /readyz answers 200 (tether_ready)', 'sum(tether_ready)'))
    .withPanel(stat('Bus up', 'nodes connected to RabbitMQ (tether_bus_up)', 'sum(tether_bus_up)'))
    .withPanel(stat('Store up', 'nodes connected to Redis (tether_store_up)', 'sum(tether_store_up)'))
    .withPanel(stat('Open safety alerts', 'open alerts no caregiver has acknowledged yet (tether_alerts_open: every node reports the cluster count, hence max)', 'max(tether_alerts_open)'))
    .withRow(new RowBuilder('Traffic'))
    .withPanel(series('Connections', 'short', 'open WebSocket connections per node', query('tether_connections', '{{instance}}')))
    .withPanel(
      series(
        'Frames per second',
        'reqps',
        'frames received and sent, by type',
        query('sum by (type) (rate(tether_frames_in_total[$__rate_interval]))', 'in {{type}}'),
        query('sum by (type) (rate(tether_frames_out_total[$__rate_interval]))', 'out {{type}}'),
      ),
    )
    .withRow(new RowBuilder('Latency'))
    .withPanel(
      series(
        'Relay latency p99',
        's',
        'sending node accepted a message -> this node handed it to a socket (includes clock skew across nodes)',
        query(p99('tether_relay_latency_seconds', 'type'), '{{type}}'),
      ),
    )
    .withPanel(
      series(
        'Subscribe ack p99',
        's',
        'subscribe received -> ack ready (in routed, includes the RabbitMQ bind), and publisher confirms',
        query(p99('tether_subscribe_ack_seconds', 'kind'), 'subscribe {{kind}}'),
        query(p99('tether_bus_confirm_seconds', 'instance'), 'confirm {{instance}}'),
      ),
    )
    .withRow(new RowBuilder('Bus and store'))
    .withPanel(
      series(
        'Bus and store state',
        'short',
        '1 = up; bus blocked = RabbitMQ resource alarm',
        query('tether_bus_up', 'bus up {{instance}}'),
        query('tether_bus_blocked', 'bus blocked {{instance}}'),
        query('tether_store_up', 'store up {{instance}}'),
      ),
    )
    .withPanel(
      series(
        'Bus events per second',
        'ops',
        'broker disconnects and recoveries, refused or lost publishes, returns, malformed messages',
        query('sum by (instance) (rate(tether_bus_disconnects_total[$__rate_interval]))', 'disconnects {{instance}}'),
        query('sum by (instance) (rate(tether_bus_reconnects_total[$__rate_interval]))', 'reconnects {{instance}}'),
        query('sum(rate(tether_bus_unavailable_total[$__rate_interval]))', 'unavailable'),
        query('sum(rate(tether_bus_returned_total[$__rate_interval]))', 'returned'),
        query('sum(rate(tether_bus_malformed_total[$__rate_interval]))', 'malformed'),
      ),
    )
    .withRow(new RowBuilder('Drains and errors'))
    .withPanel(
      series(
        'Server closes by code',
        'ops',
        '1012 drain, 1013 bus unavailable at connect, 4000 heartbeat, 4001 slow consumer, 4003 token expired',
        query('sum by (code) (rate(tether_closes_total[$__rate_interval]))', '{{code}}'),
      ),
    )
    .withPanel(
      series(
        'Errors by code',
        'ops',
        'error frames sent, by stable error code; and refused upgrades by HTTP status',
        query('sum by (code) (rate(tether_errors_total[$__rate_interval]))', '{{code}}'),
        query('sum by (status) (rate(tether_upgrades_rejected_total[$__rate_interval]))', 'upgrade {{status}}'),
      ),
    )
    .withRow(new RowBuilder('Safety alerts'))
    .withPanel(
      series(
        'Safety alerts raised',
        'short',
        'alerts raised per kind (tether_alerts_raised_total), and open alerts',
        query('sum by (kind) (increase(tether_alerts_raised_total[$__rate_interval]))', '{{kind}}'),
        query('max(tether_alerts_open)', 'open'),
      ),
    )
    .withRow(new RowBuilder('Process'))
    .withPanel(series('Resident memory', 'bytes', 'per node', query('process_resident_memory_bytes{job="tether"}', '{{instance}}')))
    .withPanel(series('Event loop lag p99', 's', 'per node', query('nodejs_eventloop_lag_p99_seconds{job="tether"}', '{{instance}}')))
    .build();
}
