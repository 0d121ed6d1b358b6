import * as protocol from '../../src/protocol/index.ts';

/** The protocol's channel-name helpers, typed as the SDK's template-literal channel names. */
export const userChannel = (id: string): `user:${string}` => protocol.userChannel(id) as `user:${string}`;
export const roomChannel = (id: string): `room:${string}` => protocol.roomChannel(id) as `room:${string}`;
export const locationChannel = (id: string): `location:${string}` => protocol.locationChannel(id) as `location:${string}`;
export const alertsChannel = (id: string): `alerts:${string}` => protocol.alertsChannel(id) as `alerts:${string}`;
