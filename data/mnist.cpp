// MNIST-family datasets as tensors: the part of the IDX support that needs Tensor (kept out
// of idx.cpp so the fuzzer can build that file alone).
#include <sys/stat.h>

#include <algorithm>

#include "data/idx.h"

namespace zg::data {

namespace {

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// dir/<base>.gz or dir/<base>; the error lists both and says where Fashion-MNIST comes from.
std::string find_idx(const std::string& dir, const std::string& base) {
  std::string gz = dir + "/" + base + ".gz", plain = dir + "/" + base;
  if (is_file(gz)) return gz;
  if (is_file(plain)) return plain;
  throw Error(fmt::format(
      "load_mnist: found neither {} nor {}. The directory must hold the four standard IDX files "
      "{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte[.gz]; for Fashion-MNIST install Debian's "
      "dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), which puts them in "
      "{}",
      gz, plain, kFashionMnistDir));
}

}  // namespace

ImageDataset load_mnist(const std::string& dir, bool train) {
  const std::string split = train ? "train" : "t10k";
  const std::string ipath = find_idx(dir, split + "-images-idx3-ubyte");
  const std::string lpath = find_idx(dir, split + "-labels-idx1-ubyte");
  IdxArray img = read_idx(ipath), lab = read_idx(lpath);
  ZG_CHECK(img.dims.size() == 3, "load_mnist: {} has dims [{}]; expected [N, H, W]", ipath,
           fmt::join(img.dims, ", "));
  ZG_CHECK(lab.dims.size() == 1, "load_mnist: {} has dims [{}]; expected [N]", lpath,
           fmt::join(lab.dims, ", "));
  ZG_CHECK(img.dims[0] == lab.dims[0], "load_mnist: {} holds {} images but {} holds {} labels",
           ipath, img.dims[0], lpath, lab.dims[0]);
  auto bad = std::find_if(lab.data.begin(), lab.data.end(), [](uint8_t l) { return l > 9; });
  ZG_CHECK(bad == lab.data.end(), "load_mnist: {}: label {} at index {} is not a class 0..9", lpath,
           *bad, bad - lab.data.begin());

  const int64_t n = img.dims[0], h = img.dims[1], w = img.dims[2];
  ImageDataset ds{empty({n, 1, h, w}), empty({n}, kInt64)};
  float* px = ds.images.data_ptr<float>();
  for (size_t i = 0; i < img.data.size(); ++i) px[i] = static_cast<float>(img.data[i]) / 255.0f;
  int64_t* lb = ds.labels.data_ptr<int64_t>();
  std::copy(lab.data.begin(), lab.data.end(), lb);
  return ds;
}

std::vector<std::string> fashion_mnist_classes() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

}  // namespace zg::data
