// The image_folder data set on folders of PNG and JPEG files that PIL (Debian's
// python3-pil) writes here from known pixels: every colour type PNG has, JPEG within its
// decoder's rounding (checked against PIL's own decode of the same file, which uses the
// same libjpeg-turbo), the layouts and splits, the resize against torch's interpolate,
// and each way a file or folder breaks.
#include "data/image_folder_dataset.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "base/error.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "train/trainer.h"

namespace {

using torchsweep::ImageFolderOptions;
using torchsweep::InputError;
using torchsweep::testing::TempDir;

bool python_has_pil() { return std::system("/usr/bin/python3 -c 'import PIL.Image' >/dev/null 2>&1") == 0; }
bool python_has_torch() { return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0; }

// Writes, under argv[1], the images below and manifest.json: for each file its path,
// the 8-bit RGB pixels it was made from ("rgb", 6 x 8 x 3, row-major) and PIL's greyscale
// of them ("l"); for a JPEG also PIL's decode of the file ("pil_rgb", "pil_l").
const char* kWriteScript = R"PY(
import sys, os, json
from PIL import Image
out = sys.argv[1]
H, W = 6, 8
manifest = []
def sharp(seed):
    return bytes((seed * 71 + y * 13 + x * 29 + c * 91 + (x * y) % 7 * 17) % 256
                 for y in range(H) for x in range(W) for c in range(3))
def smooth(base):
    return bytes(min(255, base + y * 8 + x * 4 + c * 40) for y in range(H) for x in range(W) for c in range(3))
def place(rel):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path
def record(path, rgb, jpeg=False):
    entry = {"file": path, "rgb": list(rgb),
             "l": list(Image.frombytes("RGB", (W, H), bytes(rgb)).convert("L").tobytes())}
    if jpeg:
        entry["pil_rgb"] = list(Image.open(path).convert("RGB").tobytes())
        entry["pil_l"] = list(Image.open(path).convert("L").tobytes())
    manifest.append(entry)
# bird: RGB, greyscale, and one in a subfolder
rgb = sharp(1); p = place("flat/bird/b1.png"); Image.frombytes("RGB", (W, H), rgb).save(p); record(p, rgb)
grey = bytes((y * 40 + x * 3) % 256 for y in range(H) for x in range(W))
p = place("flat/bird/a0.png"); Image.frombytes("L", (W, H), grey).save(p)
record(p, bytes(v for v in grey for _ in range(3)))
rgb = sharp(2); p = place("flat/bird/sub/c2.png"); Image.frombytes("RGB", (W, H), rgb).save(p); record(p, rgb)
# cat: RGBA (alpha dropped), palette, 16-bit greyscale
rgb = sharp(3)
rgba = bytes(b for i in range(H * W) for b in (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], (i * 37) % 256))
p = place("flat/cat/rgba.png"); Image.frombytes("RGBA", (W, H), rgba).save(p); record(p, rgb)
palette = [(k * 53) % 256 for k in range(48)]
indices = bytes((y * W + x) % 16 for y in range(H) for x in range(W))
image = Image.frombytes("P", (W, H), indices); image.putpalette(palette)
p = place("flat/cat/palette.png"); image.save(p)
record(p, bytes(palette[3 * i + c] for i in indices for c in range(3)))
deep = [(y * W + x) * 1361 + 7 for y in range(H) for x in range(W)]
p = place("flat/cat/deep.png")
Image.frombytes("I;16", (W, H), b"".join(v.to_bytes(2, "little") for v in deep)).save(p)
record(p, bytes((v * 255 + 32767) // 65535 for v in deep for _ in range(3)))
# dog: JPEG (RGB at quality 95, an upper-case extension, greyscale)
for name, base in (("dog/s1.jpg", 20), ("dog/s2.JPEG", 60)):
    rgb = smooth(base); p = place("flat/" + name)
    Image.frombytes("RGB", (W, H), rgb).save(p, quality=95); record(p, rgb, jpeg=True)
grey = bytes(min(255, 30 + y * 20 + x * 10) for y in range(H) for x in range(W))
p = place("flat/dog/grey.jpeg"); Image.frombytes("L", (W, H), grey).save(p, quality=95)
record(p, bytes(v for v in grey for _ in range(3)), jpeg=True)
# Neither images nor visible: skipped.
open(place("flat/dog/notes.txt"), "w").write("not an image")
open(place("flat/dog/.hidden.png"), "w").write("not an image")
os.makedirs(place("flat/.cache/x"))
open(place("flat/.cache/x/y.png"), "w").write("not an image")
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
if len(sys.argv) > 2:
    # 5x7 and 9x4 images, and torch's bilinear resize of them (pixels / 255) to 6x8.
    import torch
    import torch.nn.functional as F
    refs = []
    for name, (h, w) in (("a.png", (5, 7)), ("b.png", (9, 4))):
        px = bytes((h * 31 + y * 17 + x * 57 + c * 101) % 256 for y in range(h) for x in range(w) for c in range(3))
        Image.frombytes("RGB", (w, h), px).save(place("sizes/k/" + name))
        t = torch.tensor(list(px), dtype=torch.float32).reshape(h, w, 3).permute(2, 0, 1)[None] / 255
        refs.append(F.interpolate(t, size=(6, 8), mode="bilinear", align_corners=False)[0])
    open(os.path.join(out, "resized.bin"), "wb").write(torch.stack(refs).contiguous().numpy().tobytes())
)PY";

/// The folder PIL wrote (with the resize reference when `resize`), or "" when Python
/// or PIL (or torch, for the reference) is missing.
std::string write_images(const TempDir& dir, bool resize = false) {
  const std::string script = dir.write("write.py", kWriteScript);
  const std::string command =
      "/usr/bin/python3 " + script + " " + dir.path() + (resize ? " resize" : "") + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0 ? dir.path() : "";
}

nlohmann::json manifest_of(const TempDir& dir) {
  std::ifstream in(dir.file("manifest.json"));
  return nlohmann::json::parse(in);
}

ImageFolderOptions options_for(const std::string& root) {
  ImageFolderOptions o;
  o.root = root;
  o.mean = {0.25, 0.5, 0.75};
  o.std = {0.5, 0.25, 0.125};
  return o;
}

/// The 8-bit values image `i` of `inputs` was made from: normalisation undone, times 255.
std::vector<double> pixel_values(const torch::Tensor& inputs, int64_t i, const ImageFolderOptions& o) {
  auto image = inputs[i].to(torch::kFloat64).clone();
  for (int64_t c = 0; c < image.size(0); ++c) {
    const auto k = static_cast<size_t>(c);
    image[c].mul_(o.std[k % o.std.size()]).add_(o.mean[k % o.mean.size()]);
  }
  // [C, H, W] to [H, W, C], the manifest's order.
  image = image.permute({1, 2, 0}).contiguous().mul_(255.0);
  return {image.data_ptr<double>(), image.data_ptr<double>() + image.numel()};
}

double max_difference(const std::vector<double>& got, const nlohmann::json& expected) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expected[i].get<double>()));
  return worst;
}

// ---- pixels and labels ----

TEST(ImageFolderDatasetTest, PngAndJpegLoadToTheirPixelsAndClassFoldersToLabels) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  ASSERT_FALSE(write_images(dir).empty());
  const auto manifest = manifest_of(dir);
  const auto o = options_for(dir.file("flat"));
  const auto splits = torchsweep::load_image_folder(o);
  EXPECT_EQ(splits.classes, (std::vector<std::string>{"bird", "cat", "dog"}));
  ASSERT_EQ(splits.train_files.size(), 9u);  // not notes.txt, .hidden.png or .cache/
  EXPECT_FALSE(splits.test.defined());
  EXPECT_EQ(splits.train.inputs.sizes(), (std::vector<int64_t>{9, 3, 6, 8}));
  EXPECT_EQ(splits.train.inputs.dtype(), torch::kFloat32);
  EXPECT_EQ(splits.train.targets.dtype(), torch::kInt64);
  std::map<std::string, int64_t> seen;
  for (size_t i = 0; i < splits.train_files.size(); ++i) {
    const std::string& file = splits.train_files[i];
    const auto at = std::find_if(manifest.begin(), manifest.end(), [&](const auto& e) { return e["file"] == file; });
    ASSERT_NE(at, manifest.end()) << file;
    const std::string label_folder = file.substr(dir.file("flat/").size(), file.find('/', dir.file("flat/").size()) -
                                                                              dir.file("flat/").size());
    const int64_t label = splits.train.targets[static_cast<int64_t>(i)].item<int64_t>();
    EXPECT_EQ(splits.classes.at(static_cast<size_t>(label)), label_folder) << file;
    seen[label_folder]++;
    const auto got = pixel_values(splits.train.inputs, static_cast<int64_t>(i), o);
    if (at->contains("pil_rgb")) {
      // JPEG: PIL's libjpeg-turbo decode to a level, the original to JPEG's loss at quality 95.
      EXPECT_LE(max_difference(got, (*at)["pil_rgb"]), 1.0 + 1e-3) << file;
      EXPECT_LE(max_difference(got, (*at)["rgb"]), 4.0) << file;
      double total = 0;
      for (size_t k = 0; k < got.size(); ++k) total += std::abs(got[k] - (*at)["rgb"][k].get<double>());
      EXPECT_LE(total / static_cast<double>(got.size()), 1.5) << file;
    } else {
      EXPECT_LE(max_difference(got, (*at)["rgb"]), 1e-3) << file;  // exactly those bytes
    }
  }
  EXPECT_EQ(seen, (std::map<std::string, int64_t>{{"bird", 3}, {"cat", 3}, {"dog", 3}}));
}

TEST(ImageFolderDatasetTest, OneChannelIsPilsGreyscale) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  ASSERT_FALSE(write_images(dir).empty());
  const auto manifest = manifest_of(dir);
  auto o = options_for(dir.file("flat"));
  o.channels = 1;
  o.mean = {0.5};
  o.std = {0.25};
  const auto splits = torchsweep::load_image_folder(o);
  EXPECT_EQ(splits.train.inputs.sizes(), (std::vector<int64_t>{9, 1, 6, 8}));
  for (size_t i = 0; i < splits.train_files.size(); ++i) {
    const auto at = std::find_if(manifest.begin(), manifest.end(),
                                 [&](const auto& e) { return e["file"] == splits.train_files[i]; });
    ASSERT_NE(at, manifest.end());
    const auto got = pixel_values(splits.train.inputs, static_cast<int64_t>(i), o);
    const bool jpeg = at->contains("pil_l");
    EXPECT_LE(max_difference(got, jpeg ? (*at)["pil_l"] : (*at)["l"]), (jpeg ? 1.0 : 0.0) + 1e-3)
        << splits.train_files[i];
  }
}

TEST(ImageFolderDatasetTest, DecodesByContentAndConvertsOnePixelAsPilDoes) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  ASSERT_FALSE(write_images(dir).empty());
  // A JPEG named .png is still a JPEG: the first bytes decide.
  const std::string renamed = dir.file("renamed.png");
  ASSERT_EQ(std::rename(dir.file("flat/dog/s1.jpg").c_str(), renamed.c_str()), 0);
  const auto image = torchsweep::decode_image(renamed, 3);
  EXPECT_EQ(image.height, 6);
  EXPECT_EQ(image.width, 8);
  EXPECT_EQ(image.channels, 3);
  // (10, 200, 30): 0.299 * 10 + 0.587 * 200 + 0.114 * 30 = 123.81, PIL gives 124.
  const std::string one = dir.file("one.png");
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"from PIL import Image; Image.new('RGB', (1, 1), (10, 200, 30)).save('" +
                         one + "')\"")
                            .c_str()),
            0);
  EXPECT_EQ(torchsweep::decode_image(one, 1).pixels, (std::vector<uint8_t>{124}));
  EXPECT_EQ(torchsweep::decode_image(one, 3).pixels, (std::vector<uint8_t>{10, 200, 30}));
}

// ---- layouts and splits ----

/// A small RGB PNG of `value` everywhere, written with PIL.
void write_png(const std::string& path, int value, int height = 4, int width = 4) {
  torchsweep::create_directories(path.substr(0, path.rfind('/')));
  const std::string command = "/usr/bin/python3 -c \"from PIL import Image; Image.new('RGB', (" +
                              std::to_string(width) + ", " + std::to_string(height) + "), (" + std::to_string(value) +
                              ", 0, 0)).save('" + path + "')\"";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(ImageFolderDatasetTest, TrainAndValFoldersGiveTheSplitWithTrainsClasses) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  write_png(dir.file("train/ant/1.png"), 10);
  write_png(dir.file("train/ant/2.png"), 11);
  write_png(dir.file("train/bee/1.png"), 20);
  write_png(dir.file("val/bee/1.png"), 21);  // val/ lacks ant: its labels are still train/'s
  write_png(dir.file("val/bee/2.png"), 22);
  auto o = options_for(dir.path());
  o.mean = {0};
  o.std = {1};
  const auto splits = torchsweep::load_image_folder(o);
  EXPECT_EQ(splits.classes, (std::vector<std::string>{"ant", "bee"}));
  EXPECT_EQ(splits.train.size(), 3);
  ASSERT_EQ(splits.test.size(), 2);
  EXPECT_EQ(splits.test_files, (std::vector<std::string>{dir.file("val/bee/1.png"), dir.file("val/bee/2.png")}));
  EXPECT_EQ(splits.test.targets[0].item<int64_t>(), 1);
  EXPECT_EQ(splits.test.targets[1].item<int64_t>(), 1);
  EXPECT_NEAR(splits.test.inputs[1][0][0][0].item<float>() * 255, 22, 1e-3);

  // (Another root each time: loaded folders are cached by their options.)
  torchsweep::copy_tree(dir.path() + "/val", dir.file("extra/val"));
  torchsweep::copy_tree(dir.path() + "/train", dir.file("extra/train"));
  write_png(dir.file("extra/val/cow/1.png"), 30);
  o.root = dir.file("extra");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("extra/val/cow") + ": class 'cow' is not one of train/'s classes (ant, bee)");
  o.root = dir.path();
  o.test_fraction = 0.2;
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     "its train/ and val/ folders give the split; test_fraction 0.2");
}

TEST(ImageFolderDatasetTest, ATestFolderIsTheHeldOutSplitAndAHalfSplitLayoutIsRefused) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  write_png(dir.file("split/train/cat/1.png"), 10);
  write_png(dir.file("split/train/dog/1.png"), 20);
  write_png(dir.file("split/train/dog/2.png"), 21);
  write_png(dir.file("split/test/cat/1.png"), 30);
  write_png(dir.file("split/test/dog/1.png"), 40);
  auto o = options_for(dir.file("split"));
  o.mean = {0};
  o.std = {1};
  // test/ beside train/ is the test split, not a class named "test".
  const auto splits = torchsweep::load_image_folder(o);
  EXPECT_EQ(splits.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(splits.train.size(), 3);
  ASSERT_EQ(splits.test.size(), 2);
  EXPECT_EQ(splits.test_files,
            (std::vector<std::string>{dir.file("split/test/cat/1.png"), dir.file("split/test/dog/1.png")}));
  EXPECT_EQ(splits.test.targets[0].item<int64_t>(), 0);
  EXPECT_EQ(splits.test.targets[1].item<int64_t>(), 1);
  EXPECT_NEAR(splits.test.inputs[1][0][0][0].item<float>() * 255, 40, 1e-3);

  // train/ alone, test/ alone, and both val/ and test/: refused, naming the root.
  const std::string expected = "; expected train/ with one held-out folder, val/ or test/, beside it (each of class "
                               "folders), or a folder of class folders";
  torchsweep::copy_tree(dir.file("split/train"), dir.file("only_train/train"));
  o.root = dir.file("only_train");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("only_train") + ": a train/ folder without val/ or test/" + expected);
  torchsweep::copy_tree(dir.file("split/test"), dir.file("only_test/test"));
  o.root = dir.file("only_test");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("only_test") + ": a test/ folder without train/" + expected);
  torchsweep::copy_tree(dir.file("split"), dir.file("both"));
  torchsweep::copy_tree(dir.file("split/test"), dir.file("both/val"));
  o.root = dir.file("both");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("both") + ": both val/ and test/ folders" + expected);

  // Through the spec: the layout is an error at data.root; a test_fraction beside the
  // split folders one at data.test_fraction, found before any image is read.
  auto spec_for = [&](const std::string& name, const std::string& data) {
    return dir.write(name + ".yaml", "name: s\nmodel: {name: mlp, input: [3, 4, 4], sizes: [8, 2]}\n"
                                     "data: {name: image_folder, " + data + "}\n"
                                     "loss: nll\noptimizer: {name: sgd, lr: 0.05}\ntrain: {epochs: 1}\n");
  };
  // Columns (1-based) of the values in line 3, "data: {name: image_folder, root: ...".
  const std::string prefix = "data: {name: image_folder, root: ";
  const std::string half = spec_for("half", "root: only_train");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(half, {}), torchsweep::SpecError,
                     half + ":3:" + std::to_string(prefix.size() + 1) + ": data.root: " + dir.file("only_train") +
                         ": a train/ folder without val/ or test/" + expected);
  EXPECT_EQ(torchsweep::load_sweep(spec_for("good", "root: split"), {}).runs.size(), 1u);
  // A bad image in the training folder: the fraction must be reported before it is read.
  torchsweep::copy_tree(dir.file("split"), dir.file("fraction"));
  dir.write("fraction/train/cat/bad.png", "not an image");
  const std::string fraction = spec_for("fraction", "root: fraction, test_fraction: 0.2");
  const size_t column = prefix.size() + std::string("fraction, test_fraction: ").size() + 1;
  ASSERT_THROWS_WITH(torchsweep::load_sweep(fraction, {}), torchsweep::SpecError,
                     fraction + ":3:" + std::to_string(column) + ": data.test_fraction: the root's train/ and test/ folders give the split; expected no "
                         "test_fraction (or 0), got 0.2");
}

TEST(ImageFolderDatasetTest, TheFractionSplitIsAFixedSelectionPerClass) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  for (int i = 0; i < 10; ++i) {
    write_png(dir.file("one/a/" + std::to_string(i) + ".png"), i);
    write_png(dir.file("one/b/" + std::to_string(i) + ".png"), 100 + i);
  }
  write_png(dir.file("one/b/10.png"), 110);
  auto o = options_for(dir.file("one"));
  o.test_fraction = 0.3;
  const auto first = torchsweep::load_image_folder(o);
  // round(0.3 x 10) = 3 of a, round(0.3 x 11) = 3 of b; together with training, every file once.
  ASSERT_EQ(first.test_files.size(), 6u);
  EXPECT_EQ(first.train_files.size(), 15u);
  std::map<std::string, int> per_class;
  for (const auto& f : first.test_files) per_class[f.substr(dir.file("one/").size(), 1)]++;
  EXPECT_EQ(per_class, (std::map<std::string, int>{{"a", 3}, {"b", 3}}));
  std::vector<std::string> all = first.train_files;
  all.insert(all.end(), first.test_files.begin(), first.test_files.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  // The training order mixes the classes: b's are not all after a's.
  const auto& labels = first.train.targets;
  EXPECT_GT(labels.narrow(0, 0, 7).sum().item<int64_t>(), 0);
  // A copy of the folder (read again, not from the cache) gives the same selection; so
  // does a folder with one more class: a class's selection is its own.
  torchsweep::copy_tree(dir.file("one"), dir.file("two"));
  write_png(dir.file("two/0_first/x.png"), 200);
  o.root = dir.file("two");
  const auto again = torchsweep::load_image_folder(o);
  ASSERT_EQ(again.test_files.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(again.test_files[i].substr(dir.file("two/").size()), first.test_files[i].substr(dir.file("one/").size()));
  // Another seed, another selection.
  o.root = dir.file("one");
  o.split_seed = 1;
  EXPECT_NE(torchsweep::load_image_folder(o).test_files, first.test_files);
  // A class too small to keep an image for training.
  write_png(dir.file("three/a/1.png"), 1);
  write_png(dir.file("three/b/1.png"), 2);
  write_png(dir.file("three/b/2.png"), 3);
  o.root = dir.file("three");
  o.test_fraction = 0.5;
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("three/a") + ": class 'a' has 1 image, and test_fraction 0.500000 leaves none");
}

// ---- resizing ----

TEST(ImageFolderDatasetTest, TheResizeIsTorchsBilinearInterpolate) {
  if (!python_has_pil() || !python_has_torch()) GTEST_SKIP() << "/usr/bin/python3 lacks PIL or torch";
  TempDir dir;
  ASSERT_FALSE(write_images(dir, /*resize=*/true).empty());
  auto o = options_for(dir.file("sizes"));
  o.mean = {0};
  o.std = {1};
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("sizes/k/b.png") + ": an image of 9x4 pixels (height x width), but " +
                         dir.file("sizes/k/a.png") + " has 5x7; give data.size");
  o.size = {6, 8};
  const auto splits = torchsweep::load_image_folder(o);
  std::ifstream in(dir.file("resized.bin"), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), 2u * 3 * 6 * 8 * 4);
  const auto reference = torch::from_blob(bytes.data(), {2, 3, 6, 8}, torch::kFloat32).clone();
  ASSERT_EQ(splits.train_files.size(), 2u);
  for (int64_t i = 0; i < 2; ++i) {
    const int64_t r = splits.train_files[static_cast<size_t>(i)] == dir.file("sizes/k/a.png") ? 0 : 1;
    EXPECT_TRUE(torch::allclose(splits.train.inputs[i], reference[r], 0, 1e-6))
        << (splits.train.inputs[i] - reference[r]).abs().max().item<float>();
  }
}

// ---- bad input ----

TEST(ImageFolderDatasetTest, EachBadFolderOrFileIsAClearError) {
  TempDir dir;
  auto o = options_for(dir.file("missing"));
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError, dir.file("missing") + ": no such folder");
  torchsweep::create_directories(dir.file("none"));
  dir.write("none/loose.png", "x");
  o.root = dir.file("none");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError, dir.file("none") + ": no class folders");
  torchsweep::create_directories(dir.file("empty/a"));
  dir.write("empty/a/readme.txt", "not an image");
  o.root = dir.file("empty");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     dir.file("empty/a") + ": class 'a' holds no .png, .jpg or .jpeg file");
  // A .png that is a GIF, one that is text, one that is empty.
  torchsweep::create_directories(dir.file("fake/a"));
  const std::string gif = dir.write("fake/a/x.png", std::string("GIF89a\x01\x00\x01\x00", 10));
  o.root = dir.file("fake");
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(o), InputError,
                     gif + ": not a PNG or JPEG image: its first bytes are 47 49 46 38 39 61 01 00 (\"GIF89a..\"), a GIF "
                           "image; expected a PNG (89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF)");
  dir.write("fake/a/x.png", "");
  ASSERT_THROWS_WITH(torchsweep::decode_image(gif, 3), InputError, gif + ": not a PNG or JPEG image: an empty file");
}

TEST(ImageFolderDatasetTest, TruncatedOrCorruptImagesAreErrorsNamingTheFile) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  ASSERT_FALSE(write_images(dir).empty());
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string png = read(dir.file("flat/bird/b1.png")), jpeg = read(dir.file("flat/dog/s1.jpg"));
  // Cut short, and with a byte of the image data flipped (its CRC no longer matches).
  const std::string cut_png = dir.write("cut.png", png.substr(0, png.size() / 2));
  ASSERT_THROWS_WITH(torchsweep::decode_image(cut_png, 3), InputError, cut_png + ": corrupt or truncated PNG (libpng: ");
  std::string flipped = png;
  flipped[flipped.size() - 20] = static_cast<char>(flipped[flipped.size() - 20] ^ 0x55);
  const std::string bad_png = dir.write("bad.png", flipped);
  ASSERT_THROWS_WITH(torchsweep::decode_image(bad_png, 3), InputError, bad_png + ": corrupt");
  const std::string header_only = dir.write("header.png", png.substr(0, 12));
  ASSERT_THROWS_WITH(torchsweep::decode_image(header_only, 3), InputError, header_only + ": corrupt PNG (libpng: ");
  // Cut in its headers, and in its image data (libjpeg only warns: the rest would be grey).
  const std::string cut_header = dir.write("header.jpg", jpeg.substr(0, jpeg.size() / 2));
  ASSERT_THROWS_WITH(torchsweep::decode_image(cut_header, 3), InputError, cut_header + ": corrupt JPEG (libjpeg: ");
  const std::string cut_jpeg = dir.write("cut.jpg", jpeg.substr(0, jpeg.size() - 6));
  ASSERT_THROWS_WITH(torchsweep::decode_image(cut_jpeg, 3), InputError,
                     cut_jpeg + ": corrupt or truncated JPEG (libjpeg: Premature end of JPEG file)");
  const std::string stub_jpeg = dir.write("stub.jpg", jpeg.substr(0, 4));
  ASSERT_THROWS_WITH(torchsweep::decode_image(stub_jpeg, 3), InputError, stub_jpeg + ": corrupt JPEG (libjpeg: ");
  // In a folder, the first bad file in file order is named.
  torchsweep::copy_tree(dir.file("flat"), dir.file("broken"));
  dir.write("broken/cat/palette.png", png.substr(0, png.size() / 2));
  dir.write("broken/dog/s1.jpg", jpeg.substr(0, 4));
  ASSERT_THROWS_WITH(torchsweep::load_image_folder(options_for(dir.file("broken"))), InputError,
                     dir.file("broken/cat/palette.png") + ": corrupt or truncated PNG");
}

// ---- through the spec ----

const std::string kTail = "loss: nll\noptimizer: {name: sgd, lr: 0.05}\ntrain: {epochs: 2}\n";

TEST(ImageFolderDatasetTest, ThroughTheSpecTrainsWithAugmentationAndBadFilesAreSpecErrorsAtTheRoot) {
  if (!python_has_pil()) GTEST_SKIP() << "/usr/bin/python3 has no PIL (python3-pil)";
  TempDir dir;
  ASSERT_FALSE(write_images(dir).empty());
  const std::string spec = dir.write(
      "i.yaml", "name: i\nmodel: {name: mlp, input: [1, 4, 4], sizes: [16, 8, 3]}\n"
                "data: {name: image_folder, root: flat, channels: 1, size: 4, batch_size: 4, crop_padding: 1, "
                "flip: true, test_fraction: 0.34}\n" + kTail);
  const auto plan = torchsweep::load_sweep(spec, {});
  const auto data = plan.runs.at(0).config.at("data");
  EXPECT_EQ(data.at("root"), dir.file("flat"));  // relative to the spec's folder
  EXPECT_EQ(data.at("mean"), (std::vector<double>{0.5}));
  EXPECT_EQ(data.at("size"), 4);
  torchsweep::MemorySink sink;
  const auto outcome = torchsweep::train_run(plan.runs.at(0).config, sink);
  ASSERT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 2 * 2);  // 9 images, 1 of each class held out: 6 in batches of 4
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{1, 2}));

  // Option rules, each at its key.
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {"data.channels=2"}), torchsweep::SpecError,
                     "data.channels: expected 1 (greyscale) or 3 (RGB), got 2");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {"data.mean=[0.1, 0.2]"}), torchsweep::SpecError,
                     "data.mean: expected one value or one per channel (1), got 2 values");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {"data.size=[4, 0]"}), torchsweep::SpecError,
                     "data.size: expected a positive integer or a list [height, width] of them (at most 16384), got 0");
  // A fake image (in a copy: loaded folders are cached): a SpecError at data.root naming the file.
  torchsweep::copy_tree(dir.file("flat"), dir.file("fake"));
  dir.write("fake/cat/zz.png", "<html>not found</html>");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(dir.write("fake.yaml", [&] {
                       std::ifstream in(spec);
                       std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                       return text.replace(text.find("root: flat"), 10, "root: fake");
                     }()),
                                                {}),
                     torchsweep::SpecError,
                     dir.file("fake.yaml") + ":3:34: data.root: " + dir.file("fake/cat/zz.png") +
                         ": not a PNG or JPEG image: its first bytes are 3C 68 74 6D 6C 3E 6E 6F (\"<html>no\")");
}

}  // namespace
