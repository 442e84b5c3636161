//
// herd/detail/futex.hpp
// ~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_FUTEX_HPP
#define HERD_DETAIL_FUTEX_HPP

#include <atomic>
#include <climits>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace herd {
namespace detail {

// Parks on a 32-bit atomic until it no longer holds `expected` (or a
// spurious wake-up). On Linux a direct futex, as std::future uses: measured
// here at a fraction of the wake-up latency of libstdc++ 12's
// std::atomic::wait or a condition variable. Elsewhere std::atomic::wait.
inline void futex_wait(std::atomic<std::uint32_t>& a, std::uint32_t expected) noexcept
{
#if defined(__linux__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&a), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
  a.wait(expected, std::memory_order_acquire);
#endif
}

inline void futex_wake_all(std::atomic<std::uint32_t>& a) noexcept
{
#if defined(__linux__)
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&a), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
  a.notify_all();
#endif
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_FUTEX_HPP
