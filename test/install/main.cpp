// A program built against an installed herd.
#include <herd/herd.hpp>

#include <iostream>

int main()
{
  herd::async_executor ex(2);
  auto f = ex.submit([](int a, int b) { return a * b; }, 6, 7);
  const int v = f.get();
  std::cout << "consumer: " << v << "\n";
  return v == 42 ? 0 : 1;
}
