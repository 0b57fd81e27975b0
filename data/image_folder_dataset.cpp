#include "data/image_folder_dataset.h"

#include <jpeglib.h>
#include <png.h>
// After jpeglib.h, which it needs: the warning codes told apart below.
#include <jerror.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <system_error>

#include "base/error.h"
#include "base/paths.h"
#include "base/spec_node.h"

namespace torchsweep {

namespace {

// Larger images are refused before their pixels are allocated (16384 x 16384).
constexpr int64_t kMaxPixels = int64_t{1} << 28;

std::string dimensions(int64_t height, int64_t width) { return std::to_string(height) + "x" + std::to_string(width); }

/// What a file that is neither PNG nor JPEG starts with, in hex and as text, and the
/// format those bytes announce where it is a common one.
std::string describe_first_bytes(const unsigned char* bytes, size_t count) {
  if (count == 0) return "an empty file";
  std::ostringstream out;
  out << "its first bytes are";
  char hex[4];
  for (size_t i = 0; i < count; ++i) {
    std::snprintf(hex, sizeof hex, " %02X", bytes[i]);
    out << hex;
  }
  out << " (\"";
  for (size_t i = 0; i < count; ++i) out << (bytes[i] >= 0x20 && bytes[i] < 0x7f ? static_cast<char>(bytes[i]) : '.');
  out << "\")";
  const std::string text(reinterpret_cast<const char*>(bytes), count);
  if (text.rfind("GIF8", 0) == 0) out << ", a GIF image";
  else if (text.rfind("BM", 0) == 0) out << ", perhaps a BMP image";
  else if (text.rfind("II*", 0) == 0 || text.rfind("MM", 0) == 0) out << ", perhaps a TIFF image";
  else if (text.rfind("RIFF", 0) == 0) out << ", a RIFF file (WebP?)";
  else if (text.rfind("<", 0) == 0) out << ", text (HTML or SVG?)";
  return out.str();
}

DecodedImage decode_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw InputError(path + ": corrupt PNG (libpng: " + image.message + ")");
  // 16-bit samples without gamma information are sRGB like 8-bit ones (libpng's
  // simplified API would otherwise take them as linear and re-encode them); they are
  // scaled to 8 bits.
  image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  // RGBA takes every colour type (grey, palette, with or without alpha); the alpha
  // channel is dropped below, as PIL's convert("RGB") does, not composed onto a colour.
  image.format = PNG_FORMAT_RGBA;
  if (int64_t{image.width} * image.height > kMaxPixels) {
    png_image_free(&image);
    throw InputError(path + ": a PNG of " + dimensions(image.height, image.width) + " pixels, more than this reader takes");
  }
  std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr))
    throw InputError(path + ": corrupt or truncated PNG (libpng: " + image.message + ")");
  DecodedImage out{image.height, image.width, 3, {}};
  const size_t pixels = static_cast<size_t>(out.height * out.width);
  out.pixels.resize(pixels * 3);
  for (size_t p = 0; p < pixels; ++p)
    for (size_t c = 0; c < 3; ++c) out.pixels[p * 3 + c] = rgba[p * 4 + c];
  return out;
}

/// libjpeg reports errors through a callback that must not return: it jumps back to
/// the setjmp in read_jpeg with the message kept here.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  /// The first warning that means damaged data (a truncated file decodes with a grey
  /// bottom and only a warning); 0 when none.
  int corrupt_code;
  char corrupt_message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_emit_message(j_common_ptr info, int level) {
  if (level >= 0) return;  // trace messages
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  const int code = info->err->msg_code;
  const bool corrupt = code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE ||
                       code == JWRN_MUST_RESYNC;
  if (corrupt && errors->corrupt_code == 0) {
    errors->corrupt_code = code;
    (*info->err->format_message)(info, errors->corrupt_message);
  }
}

/// Decodes to RGB into `pixels`; false with errors.message set when libjpeg gives up.
/// Only trivially destructible locals live here, so the longjmp skips no destructor;
/// `pixels` belongs to the caller.
bool read_jpeg(std::FILE* file, jpeg_decompress_struct& info, JpegErrors& errors, std::vector<uint8_t>& pixels,
               int64_t& height, int64_t& width) {
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_error_exit;
  errors.manager.emit_message = jpeg_emit_message;
  errors.corrupt_code = 0;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  // Grey and YCbCr files both come out as RGB (grey replicated); CMYK is refused by
  // libjpeg with its own message.
  info.out_color_space = JCS_RGB;
  if (int64_t{info.image_width} * info.image_height > kMaxPixels) {
    std::snprintf(errors.message, sizeof errors.message, "%ux%u pixels, more than this reader takes",
                  info.image_height, info.image_width);
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_start_decompress(&info);
  height = info.output_height;
  width = info.output_width;
  const size_t stride = static_cast<size_t>(width) * 3;
  try {
    pixels.resize(stride * static_cast<size_t>(height));
  } catch (const std::bad_alloc&) {
    std::snprintf(errors.message, sizeof errors.message, "out of memory");
    jpeg_destroy_decompress(&info);
    return false;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels.data() + stride * info.output_scanline;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

DecodedImage decode_jpeg(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw InputError(path + ": cannot open the image: " + std::strerror(errno));
  jpeg_decompress_struct info;
  JpegErrors errors;
  DecodedImage out;
  out.channels = 3;
  if (!read_jpeg(file.get(), info, errors, out.pixels, out.height, out.width))
    throw InputError(path + ": corrupt JPEG (libjpeg: " + errors.message + ")");
  if (errors.corrupt_code != 0)
    throw InputError(path + ": corrupt or truncated JPEG (libjpeg: " + errors.corrupt_message + ")");
  return out;
}

/// RGB to PIL's "L": ITU-R 601-2 luma in 16-bit fixed point, rounded.
DecodedImage to_grey(const DecodedImage& rgb) {
  DecodedImage out{rgb.height, rgb.width, 1, {}};
  const size_t pixels = static_cast<size_t>(rgb.height * rgb.width);
  out.pixels.resize(pixels);
  for (size_t p = 0; p < pixels; ++p) {
    const uint32_t r = rgb.pixels[p * 3], g = rgb.pixels[p * 3 + 1], b = rgb.pixels[p * 3 + 2];
    out.pixels[p] = static_cast<uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
  }
  return out;
}

}  // namespace

DecodedImage decode_image(const std::string& path, int64_t channels) {
  unsigned char head[8] = {0};
  size_t got = 0;
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw InputError(path + ": cannot open the image: " + std::strerror(errno));
    got = std::fread(head, 1, sizeof head, file.get());
  }
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  DecodedImage rgb;
  if (got == 8 && std::memcmp(head, kPng, 8) == 0) {
    rgb = decode_png(path);
  } else if (got >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) {
    rgb = decode_jpeg(path);
  } else {
    throw InputError(path + ": not a PNG or JPEG image: " + describe_first_bytes(head, got) +
                     "; expected a PNG (89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF)");
  }
  return channels == 1 ? to_grey(rgb) : rgb;
}

namespace {

bool is_hidden(const std::string& name) { return !name.empty() && name[0] == '.'; }

bool is_image_name(const std::string& name) {
  std::string extension = path_extension(name);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

/// The class folders of `folder`, sorted by name; hidden ones are skipped.
std::vector<std::string> class_folders(const std::string& folder) {
  std::vector<std::string> classes;
  for (const auto& name : list_directory(folder))
    if (!is_hidden(name) && is_directory(join_path(folder, name))) classes.push_back(name);
  return classes;
}

/// The images under `folder` and its subfolders, in sorted path order, as
/// torchvision's ImageFolder walks them; hidden files and folders are skipped.
void collect_images(const std::string& folder, std::vector<std::string>& out) {
  for (const auto& name : list_directory(folder)) {
    if (is_hidden(name)) continue;
    const std::string path = join_path(folder, name);
    if (is_directory(path)) collect_images(path, out);
    else if (is_image_name(name)) out.push_back(path);
  }
}

std::vector<std::string> class_images(const std::string& folder, const std::string& name) {
  std::vector<std::string> files;
  collect_images(folder, files);
  if (files.empty())
    throw InputError(folder + ": class '" + name + "' holds no .png, .jpg or .jpeg file");
  return files;
}

/// A permutation of 0..n-1 from mt19937_64, whose output the standard fixes: the same
/// selection on every platform and standard library (std::shuffle's is not).
std::vector<size_t> fixed_permutation(size_t n, const std::vector<uint32_t>& seed) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::seed_seq seq(seed.begin(), seed.end());
  std::mt19937_64 generator(seq);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[generator() % i]);
  return order;
}

struct Listing {
  std::vector<std::string> classes;
  std::vector<std::string> train_files, test_files;
  std::vector<int64_t> train_labels, test_labels;
};

/// The held-out folder beside root/train/: "val" or "test"; "" for a folder of class
/// folders. InputError naming the root for a layout that is neither.
std::string image_folder_held_out(const std::string& root) {
  if (!is_directory(root)) return "";
  const bool train = is_directory(join_path(root, "train")), val = is_directory(join_path(root, "val")),
             test = is_directory(join_path(root, "test"));
  // A class folder named train, val or test would be taken for a split folder: a root
  // with only some of them is refused rather than read as classes named "train" and "test".
  const char* expected = "expected train/ with one held-out folder, val/ or test/, beside it (each of class folders), "
                         "or a folder of class folders";
  if (val && test) throw InputError(root + ": both val/ and test/ folders; " + expected);
  if (train && !val && !test) throw InputError(root + ": a train/ folder without val/ or test/; " + expected);
  if (!train && (val || test))
    throw InputError(root + ": a " + (val ? "val" : "test") + "/ folder without train/; " + expected);
  return train ? (val ? "val" : "test") : "";
}

Listing list_images(const ImageFolderOptions& o) {
  if (!path_exists(o.root)) throw InputError(o.root + ": no such folder, expected a folder of class folders");
  if (!is_directory(o.root)) throw InputError(o.root + ": not a folder, expected a folder of class folders");
  const std::string held_out = image_folder_held_out(o.root);
  const std::string train_dir = join_path(o.root, "train"), held_dir = join_path(o.root, held_out);
  const auto seed_low = static_cast<uint32_t>(o.split_seed), seed_high = static_cast<uint32_t>(o.split_seed >> 32);
  Listing listing;
  if (!held_out.empty()) {
    if (o.test_fraction > 0)
      throw InputError(o.root + ": its train/ and " + held_out + "/ folders give the split; test_fraction " +
                       std::to_string(o.test_fraction) + " applies only to a folder of class folders");
    listing.classes = class_folders(train_dir);
    if (listing.classes.empty())
      throw InputError(train_dir + ": no class folders, expected one folder per class holding .png or .jpg files");
    for (size_t k = 0; k < listing.classes.size(); ++k)
      for (auto& file : class_images(join_path(train_dir, listing.classes[k]), listing.classes[k])) {
        listing.train_files.push_back(std::move(file));
        listing.train_labels.push_back(static_cast<int64_t>(k));
      }
    const auto held_classes = class_folders(held_dir);
    if (held_classes.empty())
      throw InputError(held_dir + ": no class folders, expected the classes of train/ (" + join(listing.classes) + ")");
    // val/ (or test/) may lack a class, but every folder in it must be one of train/'s:
    // its labels are train/'s indices.
    for (const auto& name : held_classes) {
      const auto at = std::find(listing.classes.begin(), listing.classes.end(), name);
      if (at == listing.classes.end())
        throw InputError(join_path(held_dir, name) + ": class '" + name + "' is not one of train/'s classes (" +
                         join(listing.classes) + ")");
      for (auto& file : class_images(join_path(held_dir, name), name)) {
        listing.test_files.push_back(std::move(file));
        listing.test_labels.push_back(at - listing.classes.begin());
      }
    }
  } else {
    listing.classes = class_folders(o.root);
    if (listing.classes.empty())
      throw InputError(o.root + ": no class folders, expected one folder per class holding .png or .jpg files (or "
                                "train/ and val/ or test/ folders of them)");
    for (size_t k = 0; k < listing.classes.size(); ++k) {
      const std::string& name = listing.classes[k];
      const auto files = class_images(join_path(o.root, name), name);
      const size_t n = files.size();
      const auto held = static_cast<size_t>(std::llround(o.test_fraction * static_cast<double>(n)));
      if (held >= n && o.test_fraction > 0)
        throw InputError(join_path(o.root, name) + ": class '" + name + "' has " + std::to_string(n) + " image" +
                         (n == 1 ? "" : "s") + ", and test_fraction " + std::to_string(o.test_fraction) +
                         " leaves none of them for training");
      // The test images: the first `held` of a permutation seeded by split_seed and the
      // class's name, so a class's selection does not depend on the other classes.
      std::vector<uint32_t> seed{seed_low, seed_high, 0x73706c74u /* "splt" */};
      for (const unsigned char c : name) seed.push_back(c);
      const auto order = fixed_permutation(n, seed);
      std::vector<bool> is_test(n, false);
      for (size_t i = 0; i < held; ++i) is_test[order[i]] = true;
      for (size_t i = 0; i < n; ++i) {
        (is_test[i] ? listing.test_files : listing.train_files).push_back(files[i]);
        (is_test[i] ? listing.test_labels : listing.train_labels).push_back(static_cast<int64_t>(k));
      }
    }
  }
  return listing;
}

/// Decodes every file (in parallel; the first failure in file order is reported).
std::vector<DecodedImage> decode_all(const std::vector<std::string>& files, int64_t channels) {
  std::vector<DecodedImage> images(files.size());
  std::vector<std::string> errors(files.size());
  at::parallel_for(0, static_cast<int64_t>(files.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto at = static_cast<size_t>(i);
      try {
        images[at] = decode_image(files[at], channels);
      } catch (const std::exception& e) {
        errors[at] = e.what();
      }
    }
  });
  for (const auto& error : errors)
    if (!error.empty()) throw InputError(error);
  return images;
}

/// Images [N, C, H, W] float32 in [0, 1], resized to `size` where given; without a
/// size, each must have the size of `first` (the folder's first file).
torch::Tensor to_tensor(const std::vector<DecodedImage>& images, const std::vector<std::string>& files,
                        const std::vector<int64_t>& size, int64_t channels, const DecodedImage& first,
                        const std::string& first_file) {
  const auto n = static_cast<int64_t>(images.size());
  const int64_t height = size.empty() ? first.height : size[0], width = size.empty() ? first.width : size[1];
  auto out = torch::empty({n, channels, height, width}, torch::kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    const auto& image = images[static_cast<size_t>(i)];
    if (size.empty() && (image.height != first.height || image.width != first.width))
      throw InputError(files[static_cast<size_t>(i)] + ": an image of " + dimensions(image.height, image.width) +
                       " pixels (height x width), but " + first_file + " has " +
                       dimensions(first.height, first.width) +
                       "; give data.size to resize all images to one size");
    auto pixels = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {image.height, image.width, channels},
                                   torch::kUInt8)
                      .permute({2, 0, 1})
                      .to(torch::kFloat32)
                      .div_(255.0);
    if (image.height != height || image.width != width) {
      namespace F = torch::nn::functional;
      pixels = F::interpolate(pixels.unsqueeze(0), F::InterpolateFuncOptions()
                                                       .size(std::vector<int64_t>{height, width})
                                                       .mode(torch::kBilinear)
                                                       .align_corners(false))
                   .squeeze(0);
    }
    out[i].copy_(pixels);
  }
  return out;
}

std::string number_list_text(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  for (const double v : values) out << v << ",";
  return out.str();
}

}  // namespace

ImageFolderSplits load_image_folder(const ImageFolderOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, ImageFolderSplits> cache;
  std::ostringstream key;
  key.precision(17);
  key << o.root << "|" << o.channels << "|";
  for (const auto s : o.size) key << s << ",";
  key << "|" << number_list_text(o.mean) << "|" << number_list_text(o.std) << "|" << o.test_fraction << "|"
      << o.split_seed;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key.str());
  if (it != cache.end()) return it->second;

  Listing listing;
  try {
    listing = list_images(o);
  } catch (const std::system_error& e) {  // a folder that cannot be read: its path and why
    throw InputError(e.what());
  }
  // In file order (training, then test), so that the first bad file is the one named.
  const auto train_images = decode_all(listing.train_files, o.channels);
  const auto test_images = decode_all(listing.test_files, o.channels);
  ImageFolderSplits splits;
  const DecodedImage& first = train_images.front();
  const std::string& first_file = listing.train_files.front();
  // The training samples mixed once, by split_seed: the folder has the classes one
  // after the other, and a `validation` fraction (the last samples) must hold them all.
  const auto seed_low = static_cast<uint32_t>(o.split_seed), seed_high = static_cast<uint32_t>(o.split_seed >> 32);
  const auto mix = fixed_permutation(listing.train_files.size(), {seed_low, seed_high, 0x6d6978u /* "mix" */});
  std::vector<int64_t> rows(mix.begin(), mix.end());
  const auto order = torch::tensor(rows, torch::kInt64);
  splits.train.inputs = normalise_channels(
      to_tensor(train_images, listing.train_files, o.size, o.channels, first, first_file).index_select(0, order),
      o.mean, o.std);
  splits.train.targets = torch::tensor(listing.train_labels, torch::kInt64).index_select(0, order);
  for (const size_t i : mix) splits.train_files.push_back(listing.train_files[i]);
  if (!test_images.empty()) {
    splits.test.inputs = normalise_channels(
        to_tensor(test_images, listing.test_files, o.size, o.channels, first, first_file), o.mean, o.std);
    splits.test.targets = torch::tensor(listing.test_labels, torch::kInt64);
  }
  splits.classes = std::move(listing.classes);
  splits.test_files = std::move(listing.test_files);
  cache.emplace(key.str(), splits);
  return splits;
}

ImageFolderDataset::ImageFolderDataset(const ImageFolderOptions& options)
    : ImageFolderDataset(options, load_image_folder(options)) {}

ImageFolderDataset::ImageFolderDataset(const ImageFolderOptions& options, ImageFolderSplits splits)
    : TensorDataset(std::move(splits.train), std::move(splits.test), options.batches, /*classification=*/true,
                    Augmentation(options.augment, black_pixel(options.mean, options.std, options.channels))) {}

namespace {

/// `size`: absent (null), one integer (a square) or [height, width].
std::vector<int64_t> size_from_json(const nlohmann::json& value) {
  if (value.is_null()) return {};
  const char* expected = "expected a positive integer or a list [height, width] of them";
  auto side = [&](const nlohmann::json& v) {
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 16384)
      throw InputError(std::string(expected) + " (at most 16384), got " + v.dump());
    return v.get<int64_t>();
  };
  if (value.is_array()) {
    if (value.size() != 2) throw InputError(std::string(expected) + ", got " + value.dump());
    return {side(value[0]), side(value[1])};
  }
  const int64_t s = side(value);
  return {s, s};
}

/// `what` as a SpecError at the key's node, or at the section where the key is not written.
SpecError error_at(const SpecNode& section, const std::string& key, const std::string& what) {
  const SpecNode* node = section.is_map() ? section.find(key) : nullptr;
  return SpecError(node ? node->mark() : section.mark(), "data." + key, what);
}

}  // namespace

ImageFolderOptions image_folder_options_from_json(const nlohmann::json& j) {
  ImageFolderOptions o;
  o.root = j.at("root").get<std::string>();
  o.channels = j.at("channels").get<int64_t>();
  o.size = size_from_json(j.at("size"));
  o.mean = j.at("mean").get<std::vector<double>>();
  o.std = j.at("std").get<std::vector<double>>();
  o.test_fraction = j.at("test_fraction").get<double>();
  o.split_seed = j.at("split_seed").get<int64_t>();
  o.batches = batch_options_from_json(j);
  o.augment = augment_options_from_json(j);
  return o;
}

void register_image_folder_dataset(DatasetRegistry& registry) {
  const ImageFolderOptions d;
  std::vector<Field> fields{
      Field::path("root",
                  "folder of class folders (CLASS/*.png|jpg|jpeg), or of train/ and val/ (or test/) folders of them"),
      Field::integer("channels", d.channels, "3: RGB; 1: greyscale, converted as PIL's convert(\"L\")")
          .at_least(1)
          .at_most(3),
      Field::any("size", nullptr,
                 "resize every image at load to [height, width] (or N: N x N), bilinear, align_corners false, "
                 "no antialias; absent: the files' own size, the same for all"),
      Field::number_list("mean", d.mean, "per-channel normalisation mean after scaling to [0, 1] (one value: all)"),
      Field::number_list("std", d.std, "per-channel normalisation standard deviation (one value: all)").positive(),
      Field::number("test_fraction", d.test_fraction,
                    "without train/ and val/ (or test/) folders: fraction of each class's images held out as the "
                    "test split")
          .at_least(0)
          .at_most(0.9),
      Field::integer("split_seed", d.split_seed, "seed of the test_fraction selection and of the training order")
          .at_least(0)};
  for (auto& field : batch_fields(d.batches)) fields.push_back(std::move(field));
  for (auto& field : augment_fields()) fields.push_back(std::move(field));
  DatasetRegistry::Entry entry{
      "image_folder",
      "PNG and JPEG images in one folder per class (torchvision's ImageFolder); a val/ or test/ folder beside "
      "train/, or test_fraction, gives the test split",
      std::move(fields), [](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
        return std::make_unique<ImageFolderDataset>(image_folder_options_from_json(options));
      }};
  // The options' own rules first, then the folder: a missing folder, a file that is
  // not an image, a corrupt one are bad input, found before anything runs.
  entry.check = [](const SpecNode& section, const nlohmann::json& options) {
    const int64_t channels = options.at("channels").get<int64_t>();
    if (channels != 1 && channels != 3)
      throw error_at(section, "channels", "expected 1 (greyscale) or 3 (RGB), got " + std::to_string(channels));
    try {
      size_from_json(options.at("size"));
    } catch (const InputError& e) {
      throw error_at(section, "size", e.what());
    }
    for (const char* key : {"mean", "std"}) {
      const auto n = options.at(key).size();
      if (n != 1 && static_cast<int64_t>(n) != channels)
        throw error_at(section, key,
                       "expected one value or one per channel (" + std::to_string(channels) + "), got " +
                           std::to_string(n) + " values");
    }
    const auto o = image_folder_options_from_json(options);
    std::string held;
    try {
      held = image_folder_held_out(o.root);
    } catch (const InputError& e) {
      throw error_at(section, "root", e.what());
    }
    // The split folders and a fraction contradict each other: the fraction is the key at fault.
    if (!held.empty() && o.test_fraction > 0) {
      std::ostringstream fraction;
      fraction << o.test_fraction;
      throw error_at(section, "test_fraction",
                     "the root's train/ and " + held + "/ folders give the split; expected no test_fraction (or 0), "
                     "got " + fraction.str());
    }
    try {
      load_image_folder(o);
    } catch (const InputError& e) {
      throw error_at(section, "root", e.what());
    }
  };
  registry.add(std::move(entry));
}

}  // namespace torchsweep
