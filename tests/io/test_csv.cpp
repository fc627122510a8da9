// CsvWriter: exact file contents, shortest round-trip numbers, appending with a header check,
// repair of a partial last row, truncation to a checkpoint's step, and bad arguments.
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "io/csv.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST_CASE("csv: header, rows flushed as written, numbers that round-trip") {
  TempDir dir;
  std::string path = dir.file("metrics.csv");
  {
    io::CsvWriter w(path, {"step", "loss", "lr"});
    CHECK(slurp(path) == "step,loss,lr\n");  // the header is on disk at once
    w.row({1, 0.5, 1e-3});
    CHECK(slurp(path) == "step,loss,lr\n1,0.5,0.001\n");  // so is each row
    w.row({2, 0.1, 3e-300});
    w.row({3, NAN, INFINITY});
  }
  CHECK(slurp(path) == "step,loss,lr\n1,0.5,0.001\n2,0.1,3e-300\n3,nan,inf\n");
  // Shortest round-trip: strtod gives back the same double.
  for (double v : {0.1, 1.0 / 3.0, 2.0 / 3.0e-7, 123456789.123456789, -5e-324}) {
    io::CsvWriter w(path, {"v"});
    w.row({v});
    std::string s = slurp(path);
    CHECK(std::strtod(s.c_str() + 2, nullptr) == v);
  }
}

TEST_CASE("csv: appending checks the header and cuts a partial last row") {
  TempDir dir;
  std::string path = dir.file("m.csv");
  { io::CsvWriter(path, {"step", "loss"}).row({1, 2}); }
  { io::CsvWriter(path, {"step", "loss"}, true).row({2, 3}); }
  CHECK(slurp(path) == "step,loss\n1,2\n2,3\n");
  { io::CsvWriter(path, {"step", "loss"}, false).row({9, 9}); }  // no append: a fresh file
  CHECK(slurp(path) == "step,loss\n9,9\n");
  CHECK_ZG_ERROR(io::CsvWriter(path, {"step", "acc"}, true), "m.csv", "cannot append",
                 "\"step,loss\"", "\"step,acc\"");
  std::ofstream(path, std::ios::app) << "10,0.12";  // a crash mid-row
  { io::CsvWriter(path, {"step", "loss"}, true).row({10, 0.5}); }
  CHECK(slurp(path) == "step,loss\n9,9\n10,0.5\n");
  std::ofstream(path, std::ios::trunc) << "ste";  // a crash mid-header
  { io::CsvWriter(path, {"step", "loss"}, true).row({1, 1}); }
  CHECK(slurp(path) == "step,loss\n1,1\n");
  { io::CsvWriter(dir.file("new.csv"), {"a"}, true).row({1}); }  // append to nothing: new file
  CHECK(slurp(dir.file("new.csv")) == "a\n1\n");
}

TEST_CASE("csv: truncate_csv_after keeps rows up to a step") {
  TempDir dir;
  std::string path = dir.file("m.csv");
  {
    io::CsvWriter w(path, {"step", "loss"});
    for (int s = 1; s <= 6; ++s) w.row({s * 100.0, 1.0 / s});
  }
  std::ofstream(path, std::ios::app) << "700,0.1";  // partial
  CHECK(io::truncate_csv_after(path, 400) == 3);
  CHECK(slurp(path) == "step,loss\n100,1\n200,0.5\n300,0.3333333333333333\n400,0.25\n");
  CHECK(io::truncate_csv_after(path, 1e9) == 0);
  CHECK(io::truncate_csv_after(dir.file("missing.csv"), 1) == 0);
  std::ofstream(path, std::ios::app) << "x,1\n";
  CHECK_ZG_ERROR(io::truncate_csv_after(path, 1), "m.csv", "\"x\" is not a number");
}

TEST_CASE("csv: bad arguments") {
  TempDir dir;
  CHECK_ZG_ERROR(io::CsvWriter(dir.file("a.csv"), {}), "a.csv", "no columns");
  CHECK_ZG_ERROR(io::CsvWriter(dir.file("a.csv"), {"a,b"}), "column name \"a,b\"");
  CHECK_ZG_ERROR(io::CsvWriter(dir.file("a.csv"), {""}), "column name \"\"");
  CHECK_ZG_ERROR(io::CsvWriter(dir.file("no/a.csv"), {"x"}), "no/a.csv", "cannot create");
  io::CsvWriter w(dir.file("b.csv"), {"x", "y"});
  CHECK_ZG_ERROR(w.row({1}), "b.csv", "row of 1 values for 2 columns", "x,y");
  io::CsvWriter moved = std::move(w);
  moved.row({1, 2});
  CHECK(slurp(dir.file("b.csv")) == "x,y\n1,2\n");
}

}  // namespace
}  // namespace zg::test

TEST_CASE("read_csv: reads back what CsvWriter wrote, skips a partial last line, names bad lines") {
  zg::test::TempDir tmp;
  std::string path = tmp.path().string() + "/m.csv";
  {
    zg::io::CsvWriter w(path, {"step", "loss"});
    w.row({1, 0.5});
    w.row({2, std::nan("")});
  }
  {
    std::FILE* f = std::fopen(path.c_str(), "a");
    std::fputs("3,0.2", f);
    std::fclose(f);
  }
  auto t = zg::io::read_csv(path);
  CHECK(t.columns == std::vector<std::string>{"step", "loss"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.column("loss")[0] == 0.5);
  CHECK(std::isnan(t.column("loss")[1]));
  CHECK_ZG_ERROR(t.column("acc"), "no column \"acc\"");
  {
    std::FILE* f = std::fopen(path.c_str(), "a");
    std::fputs("\n4,x\n", f);
    std::fclose(f);
  }
  CHECK_ZG_ERROR(zg::io::read_csv(path), "line 5: \"x\" is not a number");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("a,b\n1\n", f);
    std::fclose(f);
  }
  CHECK_ZG_ERROR(zg::io::read_csv(path), "line 2 has 1 fields, the header 2");
}
