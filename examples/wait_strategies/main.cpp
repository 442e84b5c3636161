// Example: the wait strategies on executor tasks. Collect every result in
// order (gather), stream results as they finish (as_completed, gather_iter),
// return at the first completion (wait), fail fast, dictionary inputs, and
// gather_settled for Python's return_exceptions=True.

#include <herd/herd.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

int main()
{
  herd::async_executor ex(4);

  // Work of varying length, so that completion order differs from input order.
  auto job = [](int n)
  {
    std::this_thread::sleep_for(1ms * ((n * 7) % 5));
    return n * n;
  };

  std::vector<herd::future<int>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(ex.submit(job, i));

  // 1. Collect all, in input order, with a progress bar on stderr.
  std::vector<int> squares =
      herd::gather(fs, {.timeout = 10s, .progress = herd::progress_options{.desc = "squares", .unit = "task"}});
  std::printf("gather: squares[19] = %d\n", squares[19]);

  // 2. Stream results as they finish.
  std::vector<herd::future<int>> more;
  for (int i = 0; i < 5; ++i)
    more.push_back(ex.submit(job, i));
  std::printf("as they finish:");
  for (auto& [index, value] : herd::gather_iter(more))
    std::printf(" #%zu=%d", index, value);
  std::printf("\n");

  // 3. Return at the first completion; the rest keep running.
  herd::promise<int> slow;
  std::vector<herd::future<int>> race_like{slow.get_future(), ex.submit(job, 3)};
  auto [done, not_done] = herd::wait(race_like, {.when = herd::return_when::first_completed});
  std::printf("first_completed: %zu done, %zu still running\n", done.size(), not_done.size());
  slow.set_value(0);

  // 4. Fail fast: the first failure is raised and the pending inputs are cancelled.
  herd::promise<int> never;
  std::vector<herd::future<int>> failing{ex.submit([]() -> int { throw std::runtime_error("bad input"); }),
                                         never.get_future()};
  try
  {
    herd::gather(failing);
  }
  catch (const std::exception& e)
  {
    std::printf("fail fast: %s; the other input is %s\n", e.what(),
                failing[1].state() == herd::task_state::cancelled ? "cancelled" : "still pending");
  }

  // 5. Dictionary inputs keep their keys.
  std::map<std::string, herd::future<int>> by_name{{"seven", ex.submit(job, 7)}, {"nine", ex.submit(job, 9)}};
  std::map<std::string, int> named = herd::gather(by_name);
  std::printf("by name: seven=%d nine=%d\n", named["seven"], named["nine"]);

  // 6. return_exceptions=True: outcomes, no exception for a task's failure.
  auto outcomes = herd::gather_settled(failing);
  // (Input 1 was cancelled by the fail-fast gather above: its outcome is that error.)
  std::printf("settled: %s / %s\n", outcomes[0].has_value() ? "value" : "error (the task threw)",
              outcomes[1].has_value() ? "value" : "error (cancelled by step 4)");

  // 7. as_completed yields futures in completion order.
  int total = 0;
  for (const auto& f : herd::as_completed(fs))
    total += f.get();
  std::printf("as_completed: sum = %d\n", total);
  return total == 2470 ? 0 : 1;
}
