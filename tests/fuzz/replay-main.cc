// main() for the fuzz targets in builds without libFuzzer (gcc, TERNRT_BUILD_FUZZERS=OFF): runs
// LLVMFuzzerTestOneInput once per file or per file of a directory, so the seed corpus is replayed
// under ASan/UBSan by ctest and any fuzzer finding can be reproduced with the same binary.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int run_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // An exactly-sized heap copy, as libFuzzer passes it, so that reads past the end are caught.
  std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int files = 0, errors = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* dir = opendir(argv[i]);
      while (dirent* e = dir ? readdir(dir) : nullptr) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || name == "MANIFEST.tsv") continue;
        errors += run_file(std::string(argv[i]) + "/" + name);
        ++files;
      }
      if (dir) closedir(dir);
    } else {
      errors += run_file(argv[i]);
      ++files;
    }
  }
  std::printf("replay: %d inputs, %d unreadable\n", files, errors);
  return errors == 0 && files > 0 ? 0 : 1;
}
