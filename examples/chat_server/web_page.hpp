#pragma once
// The browser client: a single page, no external resources.
#include <string_view>

namespace chat {

inline constexpr std::string_view web_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zio chat</title>
<style>
  body { font-family: sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }
  #log { flex: 1; overflow-y: auto; margin: 0; padding: 8px; white-space: pre-wrap; }
  form { display: flex; padding: 8px; gap: 8px; border-top: 1px solid #ccc; }
  #line { flex: 1; }
</style>
</head>
<body>
<pre id="log"></pre>
<form id="form"><input id="line" autocomplete="off" autofocus><button>Send</button></form>
<script>
  const log = document.getElementById('log');
  const input = document.getElementById('line');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  function show(text) {
    const line = document.createElement('div');
    line.className = 'line';
    line.textContent = text;  // text, never HTML: no markup injection
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }
  ws.onmessage = (event) => show(event.data);
  ws.onclose = () => show('* disconnected');
  document.getElementById('form').onsubmit = (event) => {
    event.preventDefault();
    if (input.value !== '' && ws.readyState === WebSocket.OPEN) ws.send(input.value);
    input.value = '';
  };
</script>
</body>
</html>
)html";

}  // namespace chat
