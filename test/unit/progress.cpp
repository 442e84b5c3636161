// Tests for herd/progress.hpp.
#include <herd/gather.hpp>
#include <herd/progress.hpp>

#include <boost/test/unit_test.hpp>
#include <sstream>
#include <string>
#include <vector>

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(option_converts_from_bool_options_and_callables)
{
  herd::progress_option off;
  BOOST_TEST(!off);
  herd::progress_option on = true;
  BOOST_TEST(static_cast<bool>(on));
  BOOST_TEST(!on.callback());
  herd::progress_option custom = herd::progress_options{.desc = "fetch", .unit = "page"};
  BOOST_TEST(custom.options().desc == "fetch");
  herd::progress_option cb = [](std::size_t, std::size_t, std::chrono::duration<double>) {};
  BOOST_TEST(static_cast<bool>(cb.callback()));
}

BOOST_AUTO_TEST_CASE(bar_shows_count_percent_rate_elapsed_and_eta)
{
  const std::string line = herd::detail::progress_reporter::format_bar("fetch", "page", 42, 100, 2.0);
  BOOST_TEST(line.find("fetch: 42/100") == 0u);
  BOOST_TEST(line.find(" 42%") != std::string::npos);
  BOOST_TEST(line.find("21.0 page/s") != std::string::npos);
  BOOST_TEST(line.find("elapsed 00:02") != std::string::npos);
  BOOST_TEST(line.find("eta 00:03") != std::string::npos); // 58 left at 21/s
  const std::string full = herd::detail::progress_reporter::format_bar("", "it", 5, 5, 1.0);
  BOOST_TEST(full.find("5/5") == 0u);
  BOOST_TEST(full.find("100%") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_lines_when_not_a_terminal)
{
  std::ostringstream out;
  herd::progress_option o = herd::progress_options{.desc = "job", .stream = &out, .terminal = false};
  {
    herd::detail::progress_reporter r(o, 10);
    for (std::size_t i = 0; i <= 10; ++i)
      r.update(i);
    r.finish(10);
  }
  const std::string text = out.str();
  BOOST_TEST(text.find('\r') == std::string::npos);
  // At most one plain line a second, plus the final state: two lines here.
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') <= 2);
  BOOST_TEST(text.find("job: 10/10") != std::string::npos);
  BOOST_TEST(text.find("job: 0/10") == 0u);
}

BOOST_AUTO_TEST_CASE(in_place_redraws_on_a_terminal)
{
  std::ostringstream out;
  herd::progress_option o = herd::progress_options{.stream = &out, .terminal = true};
  {
    herd::detail::progress_reporter r(o, 3);
    r.update(0);
    r.update(1); // within 100 ms of the first draw: skipped
    r.finish(3);
  }
  const std::string text = out.str();
  BOOST_TEST(std::count(text.begin(), text.end(), '\r') == 2);
  BOOST_TEST(text.back() == '\n');
  BOOST_TEST(text.find("3/3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(gather_draws_a_bar_and_calls_back_to_the_end)
{
  std::vector<herd::promise<int>> ps(4);
  std::vector<herd::future<int>> fs;
  for (auto& p : ps)
    fs.push_back(p.get_future());
  std::vector<std::size_t> calls;
  herd::gather_options o;
  o.progress = [&](std::size_t done, std::size_t total, std::chrono::duration<double> elapsed)
  {
    BOOST_TEST(total == 4u);
    BOOST_TEST(elapsed.count() >= 0.0);
    calls.push_back(done);
    if (done < 4)
      ps[done].set_value(1);
  };
  herd::gather(fs, o);
  BOOST_TEST(calls.back() == 4u);
  BOOST_TEST(calls.front() == 0u);

  std::ostringstream out;
  herd::gather(fs, {.progress = herd::progress_options{.desc = "sum", .stream = &out, .terminal = false}});
  BOOST_TEST(out.str().find("sum: 4/4") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
