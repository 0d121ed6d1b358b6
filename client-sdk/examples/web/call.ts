/**
 * The two-party call page: `call.html?user=carol&peer=pat&role=caregiver` in one tab and
 * `call.html?user=pat&peer=carol&role=patient` in another (`&node=1` to start on another node,
 * `&media=video` for video, `&relay=1` to send the media through the TURN server only, as a
 * phone behind carrier NAT must). Microphone (and camera) and a chat data channel are added
 * before the invite / accept, so both sides negotiate at once and perfect negotiation settles it.
 * The server rings every device of the callee; a tab opened after the call started rings at once.
 */
import { CallSession, type CallEnd, onIncomingCall } from '../../src/index.ts';
import type { CallDemoState } from './demo-state.ts';
import { $, connectPage, describe, log, params } from './page.ts';

type Call = CallSession<RTCPeerConnection>;

const user = params.get('user') ?? 'carol';
const peer = params.get('peer') ?? 'pat';
const role = params.get('role') ?? 'caregiver';
const media = params.get('media') === 'video' ? 'video' : 'audio';
const relay = params.get('relay') === '1';
// the server's TURN credentials are added by CallSession itself (welcome.turn)
const configuration = relay ? { iceTransportPolicy: 'relay' } : {};

const demo: CallDemoState = {
  user,
  peer,
  state: 'connecting',
  nodeId: null,
  sessionId: null,
  welcomes: 0,
  resumed: null,
  call: 'none',
  connection: 'new',
  connections: [],
  channel: 'none',
  received: [],
  offersReceived: 0,
  ended: null,
  route: null,
  turn: false,
  errors: [],
};
(globalThis as { demo?: CallDemoState }).demo = demo;

let call: Call | null = null;
let chat: RTCDataChannel | null = null;

function render(): void {
  $('#who').textContent = `${user} (${role}) calling ${peer}`;
  $('#link').textContent = `${demo.state}${demo.nodeId ? ` on ${demo.nodeId}` : ''}${demo.resumed ? ' (resumed)' : ''}`;
  $('#call-state').textContent = `${demo.call} / peer connection ${demo.connection} / chat ${demo.channel}`;
  const state = call?.state;
  $<HTMLButtonElement>('#call').disabled = demo.state !== 'open' || (state !== undefined && state !== 'ended');
  $<HTMLButtonElement>('#accept').disabled = state !== 'incoming';
  $<HTMLButtonElement>('#reject').disabled = state !== 'incoming';
  $<HTMLButtonElement>('#hangup').disabled = state === undefined || state === 'ended';
  $<HTMLButtonElement>('#send').disabled = demo.channel !== 'open';
}

function fail(error: unknown): void {
  demo.errors.push(describe(error));
  log(`error: ${describe(error)}`);
  render();
}

const client = await connectPage({ sub: user, role, ...(role === 'patient' ? { contacts: [peer] } : { patients: [peer] }) });
client.on('state', (s) => {
  demo.state = s.state;
  if (s.state !== 'open') log(`connection ${s.state}${s.reason ? `: ${s.reason}` : ''}`);
  render();
});
client.on('welcome', (w) => {
  Object.assign(demo, { nodeId: w.nodeId, sessionId: w.sessionId, welcomes: demo.welcomes + 1, resumed: w.resumed ? w.resumed.ok : null, turn: w.turn !== undefined });
  log(`welcome from ${w.nodeId}${w.resumed ? ` (resumed: ${w.resumed.ok ? `yes, ${w.resumed.replayed} replayed` : w.resumed.reason})` : ''}`);
  render();
});
client.on('signal', (s) => s.signal.kind === 'offer' && demo.offersReceived++);
client.on('error', fail);

/** Media and the chat channel, before the invite or the accept. */
async function prepare(c: Call): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: c.media === 'video' });
  for (const track of stream.getTracks()) c.pc.addTrack(track, stream);
  $<HTMLVideoElement>('#local').srcObject = stream;
  $('.videos').style.display = c.media === 'video' ? '' : 'none'; // audio plays through the hidden <video> too
  c.pc.addEventListener('track', (event) => ($<HTMLVideoElement>('#remote').srcObject = event.streams[0] ?? null));
  // negotiated: both sides create it with the same id, so neither waits for a `datachannel` event
  chat = c.pc.createDataChannel('chat', { negotiated: true, id: 0 });
  const channel = chat;
  const update = (): void => {
    demo.channel = channel.readyState;
    render();
  };
  channel.addEventListener('open', update);
  channel.addEventListener('close', update);
  channel.addEventListener('message', (event) => {
    demo.received.push(String(event.data));
    log(`${peer}: ${String(event.data)}`);
  });
  update();
}

function use(c: Call): void {
  call = c;
  demo.call = c.state;
  c.on('state', (s) => {
    demo.call = s.state;
    log(`call ${s.state}`);
    render();
  });
  c.on('connection', (state) => {
    demo.connection = state;
    demo.connections.push(state);
    if (state === 'connected') void routeOnceKnown(c).then((r) => (demo.route = r));
    render();
  });
  c.on('escalated', (e) => log(`no answer; now ringing ${e.to}`));
  c.on('ended', (end: CallEnd) => {
    demo.ended = end.reason;
    log(`call ended: ${end.reason} by ${end.by}${end.message ? ` (${end.message})` : ''}`);
  });
  c.on('error', fail);
  render();
}

/**
 * The route, read again every 200 ms for up to 10 s: right at `connected`, a busy browser may not
 * list the nominated pair in its stats yet.
 */
async function routeOnceKnown(c: Call): Promise<string | null> {
  for (let i = 0; i < 50; i++) {
    const found = await route(c);
    if (found !== null || c.state === 'ended') return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

/** How the media goes: the selected candidate pair's local and remote types, e.g. `relay/relay`. */
async function route(c: Call): Promise<string | null> {
  const stats = new Map<string, { type: string; id: string; state?: string; nominated?: boolean; candidateType?: string; localCandidateId?: string; remoteCandidateId?: string }>();
  (await c.pc.getStats()).forEach((s: { id: string; type: string }) => stats.set(s.id, s));
  const pair = [...stats.values()].find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
  if (!pair) return null;
  const type = (id: string | undefined) => (id ? stats.get(id)?.candidateType : undefined) ?? '?';
  return `${type(pair.localCandidateId)}/${type(pair.remoteCandidateId)}`;
}

onIncomingCall<RTCPeerConnection>(
  client,
  (incoming) => {
    if (call && call.state !== 'ended') return incoming.reject('busy');
    use(incoming);
    log(`${incoming.peer} is calling (${incoming.media}); ring until it is answered here or elsewhere`);
  },
  { RTCPeerConnection, configuration },
);

$('#call').addEventListener('click', () => {
  const c: Call = new CallSession(client, { peer, media, RTCPeerConnection, configuration });
  use(c);
  prepare(c)
    .then(() => c.invite())
    .catch(fail);
});
$('#accept').addEventListener('click', () => {
  const c = call;
  if (c) prepare(c).then(() => c.accept()).catch(fail);
});
$('#reject').addEventListener('click', () => call?.reject('declined'));
$('#hangup').addEventListener('click', () => call?.hangup());
$('#chat').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('#message');
  if (!chat || chat.readyState !== 'open' || !input.value) return;
  chat.send(input.value);
  log(`me: ${input.value}`);
  input.value = '';
});
render();
