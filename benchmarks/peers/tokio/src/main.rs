//! Tokio peer of zio's benchmark suite; see benchmarks/README.md for the contract.
//!
//!     tokio_bench <ping_pong|spawn|echo|idle> <1|2> [n]

use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, Notify};

type BoxError = Box<dyn Error + Send + Sync>;
type Result<T> = std::result::Result<T, BoxError>;

const ECHO_CLIENTS: usize = 10;
const ECHO_MSG: usize = 64;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 || args.len() > 4 {
        eprintln!("usage: {} <ping_pong|spawn|echo|idle> <1|2> [n]", args[0]);
        return ExitCode::from(2);
    }
    match run(&args[1], &args[2], args.get(3).map(String::as_str)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tokio_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(bench: &str, threads: &str, n: Option<&str>) -> Result<String> {
    let default_n = match bench {
        "ping_pong" | "spawn" => 1_000_000,
        "echo" => 50_000,
        "idle" => 100_000,
        _ => return Err(format!("unknown benchmark {bench:?}").into()),
    };
    let n = match n {
        None => default_n,
        Some(s) => match s.parse::<usize>() {
            Ok(v) if v > 0 => v,
            _ => return Err(format!("n must be a positive integer, got {s:?}").into()),
        },
    };
    let rt = runtime(threads)?;
    Ok(match bench {
        "ping_pong" => {
            let t = on_runtime(&rt, ping_pong(n as u64))?;
            format!("RESULT {:.1} ns/round", t.as_nanos() as f64 / n as f64)
        }
        "spawn" => {
            let t = on_runtime(&rt, spawn(n))?;
            format!("RESULT {:.1} spawns/s", n as f64 / t.as_secs_f64())
        }
        "echo" => {
            let t = on_runtime(&rt, echo(n))?;
            let msgs = (ECHO_CLIENTS * n) as f64;
            format!("RESULT {:.1} msg/s", msgs / t.as_secs_f64())
        }
        _ => {
            let bytes = on_runtime(&rt, idle(n))?;
            format!("RESULT {:.1} B/task", bytes as f64 / n as f64)
        }
    })
    // `rt` drops here: tear-down (e.g. the echo accept loop) is outside timing.
}

fn runtime(threads: &str) -> Result<Runtime> {
    let mut builder = match threads {
        "1" => Builder::new_current_thread(),
        "2" => {
            let mut b = Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
        _ => return Err(format!("threads must be 1 or 2, got {threads:?}").into()),
    };
    // enable_all() is what #[tokio::main] does; the benchmarks only need I/O.
    Ok(builder.enable_all().build()?)
}

/// Runs the benchmark body as a spawned task rather than directly in
/// `block_on`: with the multi-thread runtime the `block_on` future runs on the
/// calling thread, which would make a third executor. Spawned, every task,
/// including the "main" one, lives on the runtime's own worker(s).
fn on_runtime<T, F>(rt: &Runtime, body: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    // The spawn must happen inside block_on, where the runtime context is set.
    rt.block_on(async { tokio::spawn(body).await })?
}

/// Two tasks bounce a counter over two capacity-1 channels.
async fn ping_pong(n: u64) -> Result<Duration> {
    let (to_b, mut from_a) = mpsc::channel::<u64>(1);
    let (to_a, mut from_b) = mpsc::channel::<u64>(1);
    let start = Instant::now();
    let b = tokio::spawn(async move {
        // Ends when A drops its sender after the last round.
        while let Some(v) = from_a.recv().await {
            if to_a.send(v).await.is_err() {
                break;
            }
        }
    });
    let a = tokio::spawn(async move {
        for i in 0..n {
            to_b.send(i).await.map_err(|_| "B hung up")?;
            match from_b.recv().await {
                Some(v) if v == i => {}
                got => return Err(format!("round {i}: got {got:?} back").into()),
            }
        }
        Ok::<(), BoxError>(())
    });
    a.await??;
    b.await?;
    Ok(start.elapsed())
}

struct SpawnShared {
    n: usize,
    count: AtomicUsize,
    done: Notify,
}

/// n fire-and-forget tasks each bump one counter; the last one wakes main.
async fn spawn(n: usize) -> Result<Duration> {
    let shared = Arc::new(SpawnShared { n, count: AtomicUsize::new(0), done: Notify::new() });
    let start = Instant::now();
    for _ in 0..n {
        let s = Arc::clone(&shared);
        // The JoinHandle is dropped at once, which detaches the task.
        tokio::spawn(async move {
            // fetch_add is a single total order, so exactly one task sees n-1.
            if s.count.fetch_add(1, Ordering::Relaxed) + 1 == s.n {
                // notify_one stores a permit if main is not waiting yet.
                s.done.notify_one();
            }
        });
    }
    shared.done.notified().await;
    let elapsed = start.elapsed();
    let count = shared.count.load(Ordering::Relaxed);
    if count != n {
        return Err(format!("counter is {count}, expected {n}").into());
    }
    Ok(elapsed)
}

/// In-process TCP echo server plus ECHO_CLIENTS clients doing n round trips each.
async fn echo(n: usize) -> Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Accept loop; it is simply dropped with the runtime at the end.
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((sock, _)) => {
                    tokio::spawn(serve(sock));
                }
                Err(e) => fail(format!("accept: {e}")),
            }
        }
    });

    // Timed from the first connect to the last verified reply; the 10
    // connects are negligible next to 10*n round trips.
    let start = Instant::now();
    let clients: Vec<_> = (0..ECHO_CLIENTS).map(|id| tokio::spawn(client(addr, id, n))).collect();
    for c in clients {
        c.await??;
    }
    Ok(start.elapsed())
}

/// Server side of one connection: read what arrived, write it back, until EOF.
async fn serve(mut sock: TcpStream) {
    // Lives inside the task's own allocation; no separate heap buffer.
    let mut buf = [0u8; 4096];
    loop {
        let got = match sock.read(&mut buf).await {
            Ok(0) => return,
            Ok(k) => k,
            Err(e) => fail(format!("server read: {e}")),
        };
        if let Err(e) = sock.write_all(&buf[..got]).await {
            fail(format!("server write: {e}"));
        }
    }
}

async fn client(addr: SocketAddr, id: usize, n: usize) -> Result<()> {
    let mut sock = TcpStream::connect(addr).await?;
    sock.set_nodelay(true)?;
    // Client id in every byte plus the round number up front, so a reply that
    // belongs to another client or another round cannot pass the check.
    let mut out = [id as u8; ECHO_MSG];
    let mut back = [0u8; ECHO_MSG];
    for i in 0..n {
        out[..8].copy_from_slice(&(i as u64).to_le_bytes());
        sock.write_all(&out).await?;
        sock.read_exact(&mut back).await?;
        if back != out {
            return Err(format!("client {id}, message {i}: echo differs").into());
        }
    }
    Ok(())
}

/// A server task cannot hand its error to anyone waiting; stop the run.
fn fail(msg: String) -> ! {
    eprintln!("tokio_bench: {msg}");
    std::process::exit(1);
}

struct IdleShared {
    n: usize,
    // The shared event every task parks on. Notify is tokio's bare event:
    // a waiter is an intrusive list node inside the task's own future, so the
    // measurement is the task itself (no per-task receiver clone as with
    // watch, no permit accounting as with Semaphore). notify_waiters() wakes
    // every registered waiter at once.
    release: Notify,
    parked: AtomicUsize,
    finished: AtomicUsize,
    all_finished: Notify,
}

/// Returns the RSS growth in bytes while n tasks are parked.
async fn idle(n: usize) -> Result<i64> {
    let shared = Arc::new(IdleShared {
        n,
        release: Notify::new(),
        parked: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
        all_finished: Notify::new(),
    });
    let before = vmrss_kb()?;
    for _ in 0..n {
        let s = Arc::clone(&shared);
        tokio::spawn(async move {
            let released = s.release.notified();
            tokio::pin!(released);
            // enable() links this waiter into the Notify now, so by the time
            // `parked` reaches n every task is registered and notify_waiters()
            // cannot miss one. The await then parks the task.
            released.as_mut().enable();
            s.parked.fetch_add(1, Ordering::Release);
            released.await;
            if s.finished.fetch_add(1, Ordering::Relaxed) + 1 == s.n {
                s.all_finished.notify_one();
            }
        });
    }
    // Yield (not sleep) until every task has run to its park point; yielding
    // puts main behind the spawned tasks in the run queue.
    while shared.parked.load(Ordering::Acquire) < n {
        tokio::task::yield_now().await;
    }
    let parked = vmrss_kb()?;
    shared.release.notify_waiters();
    shared.all_finished.notified().await;
    let finished = shared.finished.load(Ordering::Relaxed);
    if finished != n {
        return Err(format!("{finished} of {n} tasks finished").into());
    }
    Ok((parked - before) * 1024)
}

fn vmrss_kb() -> Result<i64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".into())
}
