//
// herd/detail/running_in.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_RUNNING_IN_HPP
#define HERD_DETAIL_RUNNING_IN_HPP

#include <herd/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

namespace herd
{
namespace detail
{

// True when the calling thread is running a handler of ex (for the executor
// kinds that can tell), or is one of an async_executor's own threads.
inline bool running_in(const net::any_io_executor& ex)
{
  if (auto* io = ex.target<net::io_context::executor_type>())
    return io->running_in_this_thread();
  if (auto* tp = ex.target<net::thread_pool::executor_type>())
    return tp->running_in_this_thread();
  if (auto* s = ex.target<net::strand<net::any_io_executor>>())
    return s->running_in_this_thread() || running_in(s->get_inner_executor());
  if (auto* s = ex.target<net::strand<net::io_context::executor_type>>())
    return s->get_inner_executor().running_in_this_thread();
  return false;
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_RUNNING_IN_HPP
