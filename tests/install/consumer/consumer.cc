// The same app through the header-only C++ wrapper (ternrt.hpp): consumer_cxx MODEL.tern VALUE
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <ternrt/ternrt.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer_cxx MODEL.tern VALUE\n");
    return 2;
  }
  try {
    const auto model = ternrt::ModelHandle::load_file(argv[1]);
    ternrt::InterpreterHandle interpreter(model);
    interpreter.set_input(0, std::vector<float>(interpreter.input_info(0).elements(), std::atof(argv[2])));
    interpreter.invoke();
    for (float v : interpreter.output(0)) std::printf("%.9g\n", v);
  } catch (const ternrt::Exception& e) {
    std::fprintf(stderr, "consumer_cxx: %s\n", e.what());
    return 1;
  }
  return 0;
}
