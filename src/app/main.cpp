// main.cpp: wasm entry point. The App lives in static storage because main() returns at once
// on the web and the page keeps calling into it (Emscripten keeps the runtime alive).
#include "app/app.hpp"

#include <emscripten/emscripten.h>

int main() {
    static peddlenet::app::App app;
    if (!app.start()) {
        // The shell shows its own explanation; this only reaches the console.
        EM_ASM({ if (window.peddlenetShell) window.peddlenetShell.fail("webgl2"); });
        return 1;
    }
    return 0;
}
