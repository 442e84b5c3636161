// Example: progress reporting. A callback receives (done, total, elapsed)
// after each batch of completions, the last call with done == total; a
// customised bar draws on stderr (in place on a terminal, plain lines
// otherwise).

#include <herd/herd.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

int main()
{
  herd::async_executor ex(4);
  std::vector<herd::future<void>> fs;
  for (int i = 0; i < 200; ++i)
    fs.push_back(ex.submit([] { std::this_thread::sleep_for(1ms); }));

  std::size_t calls = 0, last_done = 0;
  herd::wait(fs, {.progress = [&](std::size_t done, std::size_t total, std::chrono::duration<double> elapsed)
                  {
                    ++calls;
                    last_done = done;
                    if (done == total)
                      std::printf("callback: %zu/%zu after %.3f s (%zu calls)\n", done, total, elapsed.count(),
                                  calls);
                  }});

  std::vector<herd::future<int>> more;
  for (int i = 0; i < 100; ++i)
    more.push_back(ex.submit(
        [i]
        {
          std::this_thread::sleep_for(2ms);
          return i;
        }));
  auto values = herd::gather(more, {.progress = herd::progress_options{.desc = "download", .unit = "file"}});
  std::printf("bar: gathered %zu values\n", values.size());
  return last_done == fs.size() && values.size() == 100 ? 0 : 1;
}
