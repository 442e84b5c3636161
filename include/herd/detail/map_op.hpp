//
// herd/detail/map_op.hpp
// ~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MAP_OP_HPP
#define HERD_DETAIL_MAP_OP_HPP

#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/detail/map_driver.hpp>
#include <herd/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

namespace herd
{
namespace detail
{

// async_map's operation, on the one base: the handler (completing on the
// pool's executor when it has none of its own), its work, and the
// cancellation filter, in one allocation from the handler's allocator. The
// driver keeps the operation (through its finish function) until it ends;
// the operation keeps only a weak reference to the driver, for cancelling.
template <class R, class Handler>
class map_op : public async_base<Handler>
{
public:
  map_op(Handler&& h, const net::any_io_executor& pool) : async_base<Handler>(std::move(h), pool) {}

  static void start(Handler&& h, const net::any_io_executor& pool, std::shared_ptr<map_run<R>> d)
  {
    auto op = allocate_shared_op<map_op>(std::move(h), pool);
    op->install_cancellation(
        [weak = std::weak_ptr<map_run<R>>(d)](net::cancellation_type)
        {
          if (auto p = weak.lock())
            p->stop(std::make_exception_ptr(cancelled_error("herd::async_executor::async_map: cancelled")));
        });
    d->on_finish(
        [op](map_run<R>& drv)
        {
          std::exception_ptr e;
          std::vector<R> out;
          try
          {
            out = drv.take_results();
          }
          catch (...)
          {
            e = std::current_exception();
          }
          op->complete(std::move(e), std::move(out));
        });
    d->start();
  }
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MAP_OP_HPP
