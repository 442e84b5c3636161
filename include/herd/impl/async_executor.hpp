//
// herd/impl/async_executor.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_ASYNC_EXECUTOR_HPP
#define HERD_IMPL_ASYNC_EXECUTOR_HPP

// The bodies of async_executor's two large private templates, as Asio keeps
// them in impl/ (included at the end of herd/async_executor.hpp).

namespace herd
{

// Accepts one task and queues it (an owned pool) or posts it (an adopted
// executor); `external` is false for a map worker re-submitting itself.
template <class F, class... Args>
auto async_executor::submit_impl(bool external, F&& f, Args&&... args)
{
  using traits = detail::task_traits<F, Args...>;
  static_assert(traits::invocable, "herd::async_executor::submit: f is not callable with args (nor with a "
                                   "std::stop_token followed by args)");
  using R = typename traits::result_type;
  using Fn = std::tuple<std::decay_t<F>, std::decay_t<Args>...>;
  using task_type = std::conditional_t<traits::coroutine, detail::coro_task<R, traits::takes_stop_token, Fn>,
                                       detail::plain_task<R, traits::takes_stop_token, Fn>>;
  detail::executor_impl* impl = impl_.get();
  impl->accept(external);
  try
  {
    auto t = std::make_shared<task_type>(impl, Fn(std::forward<F>(f), std::forward<Args>(args)...));
    if constexpr (traits::takes_stop_token && !traits::coroutine)
      t->self_ = t;
    std::shared_ptr<detail::shared_state<R>> s = t;
    if (impl->owned())
      impl->enqueue(std::move(t));
    else
      impl->post(detail::task_runner<task_type>{std::move(t)});
    impl->end_accept();
    return future<R>(std::move(s));
  }
  catch (...)
  {
    impl->end_accept();
    impl->release();
    throw;
  }
}


// map_iter: always the per-item driver (Workers = false). map and
// async_map (Workers = true): worker tasks for plain callables without
// retry or timeout, the per-item driver otherwise.
template <bool Workers, class F, class Range, class... Ranges>
auto async_executor::make_map_driver(const map_options& opts, bool windowed, F&& f, Range&& range,
                                     Ranges&&... ranges)
{
  using traits = detail::map_traits<F, Range, Ranges...>;
  static_assert(traits::invocable, "herd::async_executor::map: f is not callable with the ranges' elements");
  using R = typename traits::result_type;
  static_assert(!std::is_void_v<R>, "herd::async_executor::map: f returns void; submit the items and wait "
                                    "for their futures (herd::wait) instead");
  opts.retry.validate();
  if (opts.timeout && *opts.timeout <= duration::zero())
    throw std::invalid_argument("herd::async_executor::map: map_options.timeout must be positive");
  using source_type = detail::zip_source<Range, Ranges...>;
  source_type source(std::forward<Range>(range), std::forward<Ranges>(ranges)...);
  const std::size_t limit = opts.limit ? opts.limit : (thread_count() ? thread_count() : default_thread_count());
  detail::shared_fn<std::decay_t<F>> fn{std::make_shared<std::decay_t<F>>(std::forward<F>(f))};
  const bool managed = opts.retry.max_attempts > 1 || opts.timeout.has_value();
  submit_options so{nullptr, opts.retry, opts.timeout};
  auto launch = [this, fn, so, managed](typename source_type::args_type a) -> future<R>
  {
    return std::apply(
        [&](auto&... x)
        {
          if (managed)
            return this->submit(so, fn, std::move(x)...);
          return this->submit(fn, std::move(x)...);
        },
        a);
  };
  using driver_type = detail::map_driver<R, source_type, decltype(launch)>;
  if constexpr (Workers)
  {
    if constexpr (!traits::coroutine && !traits::takes_stop_token)
    {
      if (!managed)
      {
        const std::size_t width = thread_count() ? thread_count() : default_thread_count();
        auto submit = [this](auto work, bool first) { return this->submit_impl(first, std::move(work)); };
        using workers_type = detail::map_workers<R, source_type, detail::shared_fn<std::decay_t<F>>, decltype(submit)>;
        return std::shared_ptr<detail::map_run<R>>(std::make_shared<workers_type>(
            std::move(source), std::move(fn), std::min(limit, width), opts.progress, std::move(submit)));
      }
    }
    return std::shared_ptr<detail::map_run<R>>(
        std::make_shared<driver_type>(std::move(source), std::move(launch), limit, windowed, opts.progress));
  }
  else
  {
    return std::make_shared<driver_type>(std::move(source), std::move(launch), limit, windowed, opts.progress);
  }
}


} // namespace herd

#endif // HERD_IMPL_ASYNC_EXECUTOR_HPP
