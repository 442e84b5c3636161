//
// herd/detail/map_run.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MAP_RUN_HPP
#define HERD_DETAIL_MAP_RUN_HPP

#include <herd/config.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <ranges>
#include <tuple>
#include <vector>

// What the map drivers share (detail/map_driver.hpp, detail/map_workers.hpp):
// the ranges a map reads (range_holder, zip_source) and the state map and
// async_map see (map_run, map_results). HERD_DETAIL_MAP_RUN_MEMBERS, the
// using-declarations of map_run's members a driver needs, is for those two
// headers only. Moved out of map_driver.hpp unchanged (issue 16).

namespace herd
{
namespace detail
{

// A range argument of map: an lvalue is referred to (it must outlive the
// map), an rvalue is moved in. (Not std::views::all: clang 14 cannot check
// libstdc++ 12's owning_view.)
template <class Range>
class range_holder
{
public:
  using stored = std::conditional_t<std::is_lvalue_reference_v<Range>, std::remove_reference_t<Range>*,
                                    std::remove_cvref_t<Range>>;

  explicit range_holder(Range&& r)
    : r_([&]() -> stored
         {
           if constexpr (std::is_lvalue_reference_v<Range>)
             return std::addressof(r);
           else
             return std::move(r);
         }())
  {
  }

  auto& get() noexcept
  {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return *r_;
    else
      return r_;
  }
  const auto& get() const noexcept
  {
    if constexpr (std::is_lvalue_reference_v<Range>)
      return *r_;
    else
      return r_;
  }

private:
  stored r_;
};

template <class Range>
using map_element_t = std::remove_cvref_t<decltype(*std::begin(std::declval<std::remove_reference_t<Range>&>()))>;

template <class R>
concept sized_container = requires(const R& r) { std::size(r); };

// Several ranges read in step (Python's zip): ends with the shortest.
template <class... Ranges>
class zip_source
{
public:
  using args_type = std::tuple<map_element_t<Ranges>...>;

  explicit zip_source(Ranges&&... rs) : holders_(range_holder<Ranges>(std::forward<Ranges>(rs))...) {}

  // Movable until the first next(): the iterators are taken then.
  zip_source(zip_source&&) = default;
  zip_source& operator=(zip_source&&) = delete;

  // The number of items, if every range knows its size.
  std::size_t size_hint() const
  {
    if constexpr ((sized_container<std::remove_cvref_t<Ranges>> && ...))
      return std::apply([](const auto&... h) { return std::min({static_cast<std::size_t>(std::size(h.get()))...}); },
                        holders_);
    else
      return 0;
  }

  std::optional<args_type> next()
  {
    if (!its_)
      its_.emplace(std::apply([](auto&... h) { return std::make_tuple(std::begin(h.get())...); }, holders_));
    if (at_end(std::index_sequence_for<Ranges...>()))
      return std::nullopt;
    return take(std::index_sequence_for<Ranges...>());
  }

private:
  template <std::size_t... I>
  bool at_end(std::index_sequence<I...>)
  {
    return ((std::get<I>(*its_) == std::end(std::get<I>(holders_).get())) || ...);
  }

  template <std::size_t... I>
  args_type take(std::index_sequence<I...>)
  {
    args_type a(*std::get<I>(*its_)...);
    (++std::get<I>(*its_), ...);
    return a;
  }

  std::tuple<range_holder<Ranges>...> holders_;
  std::optional<std::tuple<decltype(std::begin(std::declval<range_holder<Ranges>&>().get()))...>> its_;
};

// What map and async_map see of a driver.
template <class R>
class map_run
{
public:
  using finish_fn = std::function<void(map_run&)>;
  virtual void start() = 0;
  virtual void on_finish(finish_fn f) = 0;
  virtual std::vector<R> take_results() = 0;
  virtual void stop(std::exception_ptr reason) = 0;

  // Blocks until every item has ended (map).
  void wait_finished()
  {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return finished_; });
  }

protected:
  ~map_run() = default;

  // Records a failure and stops launching; true if it is now the first in
  // input order.
  bool record_failure_locked(std::size_t index, std::exception_ptr e)
  {
    stopped_ = true;
    if (fail_error_ && index >= fail_index_)
      return false;
    fail_index_ = index;
    fail_error_ = std::move(e);
    return true;
  }

  // Stops launching; the reason is reported unless a failure came first.
  void stop_locked(std::exception_ptr reason)
  {
    if (!stopped_ && !fail_error_)
      stop_reason_ = reason;
    stopped_ = true;
  }

  // Throws what ended the map early, if anything did.
  void rethrow_locked() const
  {
    if (fail_error_)
      std::rethrow_exception(fail_error_);
    if (stop_reason_)
      std::rethrow_exception(stop_reason_);
  }

  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool finished_ = false;
  std::size_t fail_index_ = 0;
  std::exception_ptr fail_error_;
  std::exception_ptr stop_reason_;
};

// The members a driver uses from map_run (a dependent base).
#define HERD_DETAIL_MAP_RUN_MEMBERS                                                                                   \
  using map_run<R>::m_;                                                                                               \
  using map_run<R>::cv_;                                                                                              \
  using map_run<R>::stopped_;                                                                                         \
  using map_run<R>::finished_;                                                                                        \
  using map_run<R>::fail_error_;                                                                                      \
  using map_run<R>::stop_reason_;                                                                                     \
  using map_run<R>::record_failure_locked;                                                                            \
  using map_run<R>::stop_locked;                                                                                      \
  using map_run<R>::rethrow_locked

// What map_iter's range sees of a driver.
template <class R>
class map_results
{
public:
  virtual std::optional<R> next_result() = 0;
  virtual void stop(std::exception_ptr reason) = 0;

protected:
  ~map_results() = default;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MAP_RUN_HPP
