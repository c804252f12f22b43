// The relay demo page's script. A file, not an inline <script>: the Content-Security-Policy runs only
// scripts from this origin's files, so an injected inline script would not run.
import { publish, watch, inboundSummary, Room } from "./relay-client.js";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
$("room").value = params.get("room") || "";
$("token").value = params.get("token") || "";
let session;
const status = (text) => { $("status").textContent = text; };
window.peerlearn = { publish, watch, inboundSummary, Room };
$("publish").onclick = async () => {
  try {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (_) {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });  // audio-only mode
    }
    $("local").srcObject = stream;
    session = await publish(location.origin, $("room").value, $("token").value, stream);
    session.pc.onconnectionstatechange = () => status(session.pc.connectionState);
    status("publishing");
  } catch (error) { status(error.message); }
};
$("watch").onclick = async () => {
  try {
    session = await watch(location.origin, $("room").value, $("token").value, {
      onTrack: (_, stream) => { $("remote").srcObject = stream; },
    });
    session.pc.onconnectionstatechange = () => status(session.pc.connectionState);
    status("watching");
  } catch (error) { status(error.message); }
};
$("leave").onclick = async () => { if (session) { await session.close(); session = undefined; status("left"); } };
