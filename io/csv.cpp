// Plain stdio with an fflush per row: a metrics file is small, and seeing each row as soon
// as it is logged matters more than throughput.
#include "io/csv.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cerrno>
#include <cstring>

#include "io/atomic_file.h"
#include "tensor/error.h"

namespace zg::io {

namespace {

std::string header_line(const std::vector<std::string>& cols) {
  return fmt::format("{}", fmt::join(cols, ","));
}

bool exists_nonempty(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

}  // namespace

CsvWriter::CsvWriter(std::string path, std::vector<std::string> columns, bool append)
    : path_(std::move(path)), columns_(std::move(columns)) {
  ZG_CHECK(!columns_.empty(), "CsvWriter {}: no columns", path_);
  for (const auto& c : columns_)
    ZG_CHECK(!c.empty() && c.find_first_of(",\"\r\n") == std::string::npos,
             "CsvWriter {}: column name \"{}\" must be non-empty, without commas, quotes or line "
             "breaks",
             path_, c);
  const std::string header = header_line(columns_);
  if (append && exists_nonempty(path_)) {
    std::string bytes = read_file_bytes(path_, "CsvWriter");
    size_t eol = bytes.find('\n');
    if (eol == std::string::npos) {
      // Only a header, cut short by a crash: start again if it is a prefix of ours.
      ZG_CHECK(header.compare(0, bytes.size(), bytes) == 0,
               "CsvWriter {}: cannot append, the file's header is \"{}\" but this run logs \"{}\"",
               path_, bytes, header);
    } else {
      std::string found = bytes.substr(0, eol);
      if (!found.empty() && found.back() == '\r') found.pop_back();
      ZG_CHECK(found == header,
               "CsvWriter {}: cannot append, the file's header is \"{}\" but this run logs \"{}\"",
               path_, found, header);
      // A partial last row (a crash mid-write) is cut off before appending.
      size_t keep = bytes.find_last_of('\n') + 1;
      ZG_CHECK(keep == bytes.size() || ::truncate(path_.c_str(), static_cast<off_t>(keep)) == 0,
               "CsvWriter {}: cannot cut a partial last row: {}", path_, std::strerror(errno));
      f_ = std::fopen(path_.c_str(), "ab");
      ZG_CHECK(f_ != nullptr, "CsvWriter {}: cannot open for appending: {}", path_,
               std::strerror(errno));
      return;
    }
  }
  f_ = std::fopen(path_.c_str(), "wb");
  ZG_CHECK(f_ != nullptr, "CsvWriter {}: cannot create: {}", path_, std::strerror(errno));
  ZG_CHECK(std::fprintf(f_, "%s\n", header.c_str()) > 0 && std::fflush(f_) == 0,
           "CsvWriter {}: write failed: {}", path_, std::strerror(errno));
}

CsvWriter::~CsvWriter() {
  if (f_) std::fclose(f_);
}

CsvWriter::CsvWriter(CsvWriter&& o) noexcept
    : path_(std::move(o.path_)), columns_(std::move(o.columns_)), f_(o.f_) {
  o.f_ = nullptr;
}

CsvWriter& CsvWriter::operator=(CsvWriter&& o) noexcept {
  if (this != &o) {
    if (f_) std::fclose(f_);
    path_ = std::move(o.path_);
    columns_ = std::move(o.columns_);
    f_ = o.f_;
    o.f_ = nullptr;
  }
  return *this;
}

void CsvWriter::row(const std::vector<double>& values) {
  ZG_CHECK(f_ != nullptr, "CsvWriter: writer was moved from");
  ZG_CHECK(values.size() == columns_.size(), "CsvWriter {}: row of {} values for {} columns ({})",
           path_, values.size(), columns_.size(), header_line(columns_));
  std::string line = fmt::format("{}\n", fmt::join(values, ","));
  ZG_CHECK(std::fputs(line.c_str(), f_) >= 0 && std::fflush(f_) == 0,
           "CsvWriter {}: write failed: {}", path_, std::strerror(errno));
}

int64_t truncate_csv_after(const std::string& path, double last) {
  if (!exists_nonempty(path)) return 0;
  std::string bytes = read_file_bytes(path, "truncate_csv_after");
  std::string out;
  int64_t dropped = 0;
  size_t pos = 0;
  bool header = true;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) break;  // a partial last line is dropped too
    std::string line = bytes.substr(pos, eol + 1 - pos);
    pos = eol + 1;
    if (header) {
      out += line;
      header = false;
      continue;
    }
    size_t comma = line.find(',');
    std::string first = line.substr(0, comma == std::string::npos ? line.size() - 1 : comma);
    char* end = nullptr;
    double v = std::strtod(first.c_str(), &end);
    ZG_CHECK(end != first.c_str() && *end == '\0',
             "truncate_csv_after {}: first column \"{}\" is not a number", path, first);
    if (v <= last)
      out += line;
    else
      ++dropped;
  }
  if (pos < bytes.size()) ++dropped;
  AtomicFile f(path);
  f.write(out.data(), out.size());
  f.commit();
  return dropped;
}

std::vector<double> CsvTable::column(const std::string& name) const {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] != name) continue;
    std::vector<double> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(r[c]);
    return out;
  }
  ZG_CHECK(false, "CsvTable::column: no column \"{}\" (have {})", name, fmt::join(columns, ","));
  return {};
}

CsvTable read_csv(const std::string& path) {
  std::string bytes = read_file_bytes(path, "read_csv");
  CsvTable table;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) break;  // a partial last line
    std::string line = bytes.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    std::vector<std::string> fields;
    for (size_t start = 0;;) {
      size_t comma = line.find(',', start);
      fields.push_back(line.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (line_no == 1) {
      table.columns = std::move(fields);
      continue;
    }
    ZG_CHECK(fields.size() == table.columns.size(),
             "read_csv {}: line {} has {} fields, the header {}", path, line_no, fields.size(),
             table.columns.size());
    std::vector<double> row;
    for (const std::string& f : fields) {
      char* end = nullptr;
      double v = std::strtod(f.c_str(), &end);
      ZG_CHECK(!f.empty() && *end == '\0', "read_csv {}: line {}: \"{}\" is not a number", path,
               line_no, f);
      row.push_back(v);
    }
    table.rows.push_back(std::move(row));
  }
  ZG_CHECK(!table.columns.empty(), "read_csv {}: no header line", path);
  return table;
}

}  // namespace zg::io
