//
// herd/config.hpp
// ~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_CONFIG_HPP
#define HERD_CONFIG_HPP

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <chrono>

/// Define HERD_HEADER_ONLY to use herd without linking the compiled part
/// (src/herd.cpp). Otherwise exactly one translation unit, the library's own,
/// compiles the non-template code.
#if defined(HERD_HEADER_ONLY)
#define HERD_DECL inline
#else
#define HERD_DECL
#endif

namespace herd
{

namespace net = boost::asio;

/// The duration type used by every timed option in herd.
using duration = std::chrono::steady_clock::duration;

namespace detail
{

// A copy of ex that keeps its execution context from running out of work
// (what executor_work_guard does, for any executor kind, strands included).
template <class Executor>
net::any_io_executor tracked(const Executor& ex)
{
  return net::prefer(net::any_io_executor(ex), net::execution::outstanding_work.tracked);
}

} // namespace detail

} // namespace herd

#endif // HERD_CONFIG_HPP
