// End-to-end test of the chat server's browser client: two headless Chromium tabs and one
// TCP client share one room. Usage: node chat_browser_test.mjs /path/to/chat_server
// Prints one "PASS name" or "FAIL name: why" line per check; exits 1 if any failed.
import { spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const serverPath = process.argv[2];
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
let failures = 0;
function check(name, ok, why = '') {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
  if (!ok) failures++;
}

// Resolves with the first line matching `test`, rejects after `ms`.
function waitFor(lines, test, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    const look = () => {
      const found = lines.find(test);
      if (found !== undefined) { clearTimeout(timer); resolve(found); return true; }
      return false;
    };
    if (!look()) lines.waiters.push(() => look());
  });
}
function lineLog() {
  const lines = [];
  lines.waiters = [];
  lines.add = (line) => { lines.push(line); lines.waiters = lines.waiters.filter((w) => !w()); };
  return lines;
}

const server = spawn(serverPath, ['--port', '0', '--http-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
const first = await new Promise((resolve) => readline.createInterface({ input: server.stdout }).once('line', resolve));
const [, tcpPort, httpPort] = first.match(/tcp=(\d+) http=(\d+)/).map(Number);

const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
try {
  const url = `http://127.0.0.1:${httpPort}/`;
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.querySelectorAll('#log .line').length > 0);
    tabs.push(page);
  }
  const tabLines = async (page) => page.$$eval('#log .line', (nodes) => nodes.map((n) => n.textContent));
  const tabWait = async (page, text, what) =>
    page.waitForFunction((t) => [...document.querySelectorAll('#log .line')].some((n) => n.textContent.includes(t)), text, { timeout: 5000 })
      .then(() => true, () => { throw new Error(`timed out waiting for ${what}`); });
  const say = async (page, text) => { await page.fill('#line', text); await page.press('#line', 'Enter'); };

  const welcome = (await tabLines(tabs[0]))[0];
  check('browser gets the welcome line', welcome.startsWith('* welcome, you are guest'), welcome);

  const tcpLines = lineLog();
  const tcp = net.connect(tcpPort, '127.0.0.1');
  readline.createInterface({ input: tcp }).on('line', (line) => tcpLines.add(line));
  await waitFor(tcpLines, (l) => l.startsWith('* welcome'), 5000, 'TCP welcome');

  await say(tabs[0], '/nick alice');
  await tabWait(tabs[0], '* you are now alice', 'rename');
  await say(tabs[1], '/nick bob');
  await tabWait(tabs[1], '* you are now bob', 'rename');

  await say(tabs[0], 'hello from alice <b>not bold</b>');
  await tabWait(tabs[1], 'alice: hello from alice <b>not bold</b>', 'tab 2 sees alice');
  await waitFor(tcpLines, (l) => l === 'alice: hello from alice <b>not bold</b>', 5000, 'TCP sees alice');
  check('a browser line reaches the other tab and the TCP client', true);
  const bold = await tabs[1].$$eval('#log b', (n) => n.length);
  check('markup is shown as text, not HTML', bold === 0, `${bold} <b> elements`);

  tcp.write('hello from tcp\n');
  const tcpNick = (await waitFor(tcpLines, (l) => l.startsWith('* welcome'), 100, 'welcome')).match(/you are (\S+);/)[1];
  await tabWait(tabs[0], `${tcpNick}: hello from tcp`, 'tab 1 sees TCP');
  await tabWait(tabs[1], `${tcpNick}: hello from tcp`, 'tab 2 sees TCP');
  check('a TCP line reaches both tabs', true);

  await say(tabs[1], '/me waves');
  await tabWait(tabs[0], '* bob waves', 'tab 1 sees /me');
  await waitFor(tcpLines, (l) => l === '* bob waves', 5000, 'TCP sees /me');
  check('/me from a tab reaches the others', true);
  const own = (await tabLines(tabs[1])).filter((l) => l === '* bob waves').length;
  check('a tab does not get its own line back', own === 0, `${own} copies`);

  await tabs[0].close();
  await waitFor(tcpLines, (l) => l === '* alice left', 5000, 'leave announcement');
  check('closing a tab announces the leave', true);
  tcp.destroy();
} catch (error) {
  check('browser session', false, error.message);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  const code = await new Promise((resolve) => server.once('exit', (c) => resolve(c)));
  check('server exits 0 on SIGTERM', code === 0, `exit code ${code}`);
}
process.exit(failures ? 1 : 0);
