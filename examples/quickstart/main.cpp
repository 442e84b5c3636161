// Example: the quick start. Create an executor, submit ten tasks, wait for
// them all, then print what happened.
//
// Build and run: see README.md ("Quick start").

#include <herd/herd.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

int main()
{
  using namespace std::chrono_literals;

  herd::async_executor ex(4); // a pool of four threads

  // Ten tasks, each a plain function with an argument. Each returns a future.
  std::vector<herd::future<int>> futures;
  for (int i = 0; i < 10; ++i)
    futures.push_back(ex.submit(
        [](int n)
        {
          std::this_thread::sleep_for(10ms * (n % 3)); // pretend to work
          return n * n;
        },
        i));

  // A task that fails: its exception arrives intact through its future.
  auto failing = ex.submit([]() -> int { throw std::runtime_error("disk full"); });

  // Wait for them all, in submission order.
  int sum = 0;
  for (std::size_t i = 0; i < futures.size(); ++i)
  {
    const int v = futures[i].get();
    std::printf("task %zu -> %d\n", i, v);
    sum += v;
  }
  try
  {
    failing.get();
  }
  catch (const std::exception& e)
  {
    std::printf("the failing task raised: %s\n", e.what());
  }

  ex.shutdown(); // waits for every accepted task
  const auto s = ex.stats();
  std::printf("sum of squares 0..9 = %d\n", sum);
  std::printf("submitted %zu, completed %zu, failed %zu, cancelled %zu\n", s.submitted, s.completed, s.failed,
              s.cancelled);
  return sum == 285 && s.completed == 10 && s.failed == 1 ? 0 : 1;
}
