import type { Link } from '../connection.ts';
import { useT } from '../i18n/i18n.ts';

/** The connection to the server in plain words; `data-status` carries the LinkStatus. */
export function ConnectionBanner({ link }: { link: Link }) {
  const t = useT();
  return (
    <p class={`link link-${link.status}`} role="status" data-status={link.status} data-node={link.nodeId ?? ''}>
      <span class="link-dot" aria-hidden="true" />
      {t(`link.${link.status}`)}
    </p>
  );
}
