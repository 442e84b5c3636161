// Scenario "gather": K ready futures gathered again and again until 1,000,000
// children have been gathered, for K = 2, 16, 256, 4096 (ns per child).
// herd: the blocking herd::gather, and herd::async_gather completing on an
// io_context. Baseline: a raw ranged parallel_group over the same futures'
// async_wait(deferred), each bound to an io_context, run the same way.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

std::vector<result> run_gather(const options& o)
{
  namespace net = boost::asio;
  std::vector<result> out;
  const std::size_t children = std::max<std::size_t>(4096, static_cast<std::size_t>(1'000'000 * o.scale));
  for (std::size_t k : {2u, 16u, 256u, 4096u})
  {
    std::vector<herd::promise<int>> ps(k);
    std::vector<herd::future<int>> fs;
    for (std::size_t i = 0; i < k; ++i)
    {
      fs.push_back(ps[i].get_future());
      ps[i].set_value(static_cast<int>(i));
    }
    const std::size_t rounds = std::max<std::size_t>(1, children / k);
    const long expected = static_cast<long>(rounds) * static_cast<long>(k - 1);
    auto herd_gather = [&]
    {
      long sink = 0;
      for (std::size_t r = 0; r < rounds; ++r)
        sink += herd::gather(fs).back();
      if (sink != expected)
        throw std::runtime_error("gather: wrong result from herd");
    };
    auto raw_group = [&]
    {
      net::io_context ctx;
      long sink = 0;
      for (std::size_t r = 0; r < rounds; ++r)
      {
        // Each operation bound to the io_context: parallel_group completes an
        // operation on its own associated executor.
        std::vector<decltype(net::bind_executor(ctx, fs[0].async_wait(net::deferred)))> ops;
        ops.reserve(k);
        for (auto& f : fs)
          ops.push_back(net::bind_executor(ctx, f.async_wait(net::deferred)));
        net::experimental::make_parallel_group(std::move(ops))
            .async_wait(net::experimental::wait_for_all(),
                        net::bind_executor(ctx, [&](std::vector<std::size_t>, std::vector<std::exception_ptr>,
                                                    std::vector<int> values) { sink += values.back(); }));
        ctx.run();
        ctx.restart();
      }
      if (sink != expected)
        throw std::runtime_error("gather: wrong result from parallel_group");
    };
    auto herd_async = [&]
    {
      net::io_context ctx;
      long sink = 0;
      for (std::size_t r = 0; r < rounds; ++r)
      {
        herd::async_gather(fs, net::bind_executor(ctx, [&](std::exception_ptr e, std::vector<int> values)
                                                  {
                                                    if (e)
                                                      std::rethrow_exception(e);
                                                    sink += values.back();
                                                  }));
        ctx.run();
        ctx.restart();
      }
      if (sink != expected)
        throw std::runtime_error("gather: wrong result from herd::async_gather");
    };
    const auto ns = interleaved_median_ns(o.repeat, {herd_gather, raw_group, herd_async});
    const double per = static_cast<double>(rounds * k);
    const std::string param = "K=" + std::to_string(k);
    out.push_back({"herd gather", param, ns[0] / per});
    out.push_back({"raw ranged parallel_group", param, ns[1] / per});
    out.push_back({"herd async_gather (io_context)", param, ns[2] / per});
  }
  return out;
}

const registrar reg("gather", "gather K ready futures until 1,000,000 children (ns/child)", run_gather);

} // namespace
} // namespace herd::bench
