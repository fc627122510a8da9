// The reading path must stay true to the code: every file a page of docs/ (or README.md)
// names in backticks exists, every qualified name it mentions (`raw::binary`,
// `Backend::matmul`, `record()`) is still an identifier of the sources, and every ```cpp
// block of docs/ is either a compiled snippet (docs/snippets.cmake) or marked as shown only.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path& source_root() {
  static const fs::path root = fs::path(ZEROGEN_FIXTURES).parent_path().parent_path();
  return root;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> pages() {
  std::vector<fs::path> out = {source_root() / "README.md"};
  for (const auto& e : fs::directory_iterator(source_root() / "docs"))
    if (e.path().extension() == ".md") out.push_back(e.path());
  std::sort(out.begin() + 1, out.end());
  return out;
}

// Every identifier of the library's, examples', tests' and benchmarks' sources.
const std::set<std::string>& source_identifiers() {
  static const std::set<std::string> ids = [] {
    std::set<std::string> out;
    for (const char* dir : {"tensor", "autograd", "nn", "optim", "data", "io", "models", "examples",
                            "tests", "bench"}) {
      for (const auto& e : fs::recursive_directory_iterator(source_root() / dir)) {
        std::string ext = e.path().extension().string();
        if (ext != ".h" && ext != ".cpp" && ext != ".py") continue;
        std::string text = read_file(e.path());
        for (size_t i = 0; i < text.size();) {
          if (std::isalpha(static_cast<unsigned char>(text[i])) || text[i] == '_') {
            size_t j = i;
            while (j < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_'))
              ++j;
            out.insert(text.substr(i, j - i));
            i = j;
          } else {
            ++i;
          }
        }
      }
    }
    return out;
  }();
  return ids;
}

// A path relative to the repository; `*` in its last component matches any characters.
bool path_exists(const std::string& rel) {
  fs::path p = source_root() / rel;
  std::string last = p.filename().string();
  size_t star = last.find('*');
  if (star == std::string::npos) return fs::exists(rel.back() == '/' ? p.parent_path() : p);
  std::string prefix = last.substr(0, star), suffix = last.substr(star + 1);
  if (!fs::is_directory(p.parent_path())) return false;
  for (const auto& e : fs::directory_iterator(p.parent_path())) {
    std::string name = e.path().filename().string();
    if (name.size() >= prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

int line_of(const std::string& text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace

TEST_CASE("docs: the reading path exists") {
  REQUIRE(fs::exists(source_root() / "docs" / "TOUR.md"));
  REQUIRE(fs::exists(source_root() / "docs" / "EXTENDING.md"));
  CHECK(read_file(source_root() / "README.md").find("docs/TOUR.md") != std::string::npos);
  CHECK(read_file(source_root() / "README.md").find("docs/EXTENDING.md") != std::string::npos);
}

TEST_CASE("docs: every file a page names exists") {
  // Paths under the repository's own folders; ../shared/ and run outputs are not checked.
  const std::regex path_re(
      "`((?:tensor|autograd|nn|optim|data|io|models|examples|tests|bench|docs)/[A-Za-z0-9_./"
      "*-]*)`");
  int checked = 0;
  for (const fs::path& page : pages()) {
    std::string text = read_file(page);
    for (std::sregex_iterator it(text.begin(), text.end(), path_re), end; it != end; ++it) {
      std::string rel = (*it)[1];
      ++checked;
      CHECK_MESSAGE(path_exists(rel), page.filename().string()
                                          << ":" << line_of(text, it->position()) << ": `" << rel
                                          << "` does not exist");
    }
  }
  CHECK(checked > 50);  // the pages do name files; a broken pattern would check none
}

TEST_CASE("docs: every qualified name a page mentions is in the sources") {
  // `ns::name`, `Class::method(...)`, `name()`: each identifier must occur in the sources.
  const std::regex name_re(
      "`((?:[A-Za-z_][A-Za-z0-9_]*::)+[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\\()");
  const std::set<std::string> foreign = {"std", "torch", "fmt", "doctest", "CLI"};
  const std::regex ident_re("[A-Za-z_][A-Za-z0-9_]*");
  int checked = 0;
  for (const fs::path& page : pages()) {
    std::string text = read_file(page);
    for (std::sregex_iterator it(text.begin(), text.end(), name_re), end; it != end; ++it) {
      std::string name = (*it)[1];
      std::vector<std::string> parts;
      for (std::sregex_iterator p(name.begin(), name.end(), ident_re), e; p != e; ++p)
        parts.push_back((*p)[0]);
      if (parts.empty() || foreign.count(parts.front())) continue;
      for (const std::string& part : parts) {
        ++checked;
        CHECK_MESSAGE(source_identifiers().count(part), page.filename().string()
                                                            << ":" << line_of(text, it->position())
                                                            << ": `" << name << "`: no identifier "
                                                            << part << " in the sources");
      }
    }
  }
  CHECK(checked > 50);
}

TEST_CASE("docs: every C++ block of docs/ is compiled, or says why not") {
  const std::string fence = "\n```cpp\n";
  const std::regex marker_re(
      "<!-- (snippet: [A-Za-z0-9_]+( top-level)?|not compiled: [^>]+) -->\\s*$");
  int blocks = 0;
  for (const fs::path& page : pages()) {
    if (page.filename() == "README.md") continue;  // its quickstart is ctest's `quickstart`
    std::string text = read_file(page);
    for (size_t at = text.find(fence); at != std::string::npos; at = text.find(fence, at + 1)) {
      ++blocks;
      size_t from = at > 300 ? at - 300 : 0;
      std::string before = text.substr(from, at - from);
      CHECK_MESSAGE(std::regex_search(before, marker_re),
                    page.filename().string() << ":" << line_of(text, at + 1)
                                             << ": a ```cpp block with no snippet marker");
    }
  }
  CHECK(blocks > 10);
}
