#pragma once
/// zio's networking: addresses, DNS, TCP, UDP and Unix sockets.
#include <zio/net/address.hpp>
#include <zio/net/dns.hpp>
#include <zio/net/tcp.hpp>
#include <zio/net/udp.hpp>
#include <zio/net/unix.hpp>
