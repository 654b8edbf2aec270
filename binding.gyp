{
  # Sources come from scripts/native-sources.mjs, the list CMakeLists.txt reads too.
  # Each ISA group is a static library with its own flags, so the one shipped binary runs on any
  # x86-64 and picks kernels at run time (native/dispatch). No -march=native.
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2", "-O0"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
    "cflags": ["-O3", "-fPIC", "-fvisibility=hidden"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti"],
    "include_dirs": ["native"],
    "defines": ["NDEBUG"],
    "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" }
  },
  "targets": [
    {
      "target_name": "convkit_avx2",
      "type": "static_library",
      "sources": ["<!@(node scripts/native-sources.mjs avx2)"],
      "cflags": ["-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "convkit_avx512",
      "type": "static_library",
      "sources": ["<!@(node scripts/native-sources.mjs avx512)"],
      "cflags": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "convkit",
      "dependencies": ["convkit_avx2", "convkit_avx512"],
      "sources": [
        "<!@(node scripts/native-sources.mjs core)",
        "<!@(node scripts/native-sources.mjs binding)"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "CONVKIT_BUILD_SYSTEM=node-gyp"],
      "libraries": ["-lpthread"]
    }
  ]
}
