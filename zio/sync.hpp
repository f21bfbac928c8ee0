#pragma once
/// zio's synchronization primitives (fibers suspend, plain threads block).
#include <zio/sync/barrier.hpp>
#include <zio/sync/broadcast_channel.hpp>
#include <zio/sync/channel.hpp>
#include <zio/sync/condition.hpp>
#include <zio/sync/mutex.hpp>
#include <zio/sync/notify.hpp>
#include <zio/sync/reset_event.hpp>
#include <zio/sync/rw_lock.hpp>
#include <zio/sync/select.hpp>
#include <zio/sync/semaphore.hpp>
