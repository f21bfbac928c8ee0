package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"
)

const (
	echoClients = 10
	msgSize     = 64
	serverBuf   = 4096
)

// serveConn is the server's per-connection goroutine: read whatever arrived
// into a 4096-byte buffer and write it back. Go's netpoller turns the blocking
// Read/Write into parks on epoll, so this is the idiomatic (and fast) form.
func serveConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, serverBuf)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				fail("echo server: read: %v", err)
			}
			return
		}
	}
}

// echoClient connects, sets TCP_NODELAY and does n write/read-exactly rounds
// of 64 bytes. Each message carries the client id and the round number so a
// misrouted or stale echo is caught, not just a short one.
func echoClient(addr string, id, n int) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fail("echo client %d: dial: %v", id, err)
	}
	defer conn.Close()
	// Go already enables TCP_NODELAY on new TCP connections; set it anyway
	// because the contract asks for it.
	if err := conn.(*net.TCPConn).SetNoDelay(true); err != nil {
		fail("echo client %d: SetNoDelay: %v", id, err)
	}

	msg := make([]byte, msgSize)
	for i := range msg {
		msg[i] = byte(i)
	}
	binary.LittleEndian.PutUint32(msg[0:], uint32(id))
	reply := make([]byte, msgSize)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(msg[4:], uint64(i))
		if _, err := conn.Write(msg); err != nil {
			fail("echo client %d: write: %v", id, err)
		}
		if _, err := io.ReadFull(conn, reply); err != nil {
			fail("echo client %d: read: %v", id, err)
		}
		if !bytes.Equal(reply, msg) {
			fail("echo client %d: round %d came back different", id, i)
		}
	}
}

func echo(n int) (float64, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("echo: listen: %v", err)
	}
	defer ln.Close() // tear-down, outside the timed region
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed at the end
			}
			go serveConn(c)
		}
	}()
	addr := ln.Addr().String()

	var wg sync.WaitGroup
	wg.Add(echoClients)
	// The clients' connects are inside the timed region (they are part of
	// each client's work in the contract); 10 connects against 10*n round
	// trips do not move the result.
	start := time.Now()
	for id := 0; id < echoClients; id++ {
		go func(id int) {
			defer wg.Done()
			echoClient(addr, id, n)
		}(id)
	}
	wg.Wait()
	elapsed := time.Since(start)
	return float64(echoClients*n) / elapsed.Seconds(), "msg/s"
}
