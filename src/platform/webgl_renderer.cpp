// webgl_renderer.cpp: see webgl_renderer.hpp.
#include "platform/webgl_renderer.hpp"

#include <GLES3/gl3.h>
#include <emscripten/emscripten.h>
#include <imgui.h>

#include <cstddef>
#include <cstdint>

namespace peddlenet::platform {
namespace {

struct Objects {
    GLuint program = 0;
    GLuint vertex_array = 0;
    GLuint vertices = 0;
    GLuint indices = 0;
    GLint projection = -1;
    GLint texture = -1;
};
Objects gl;

constexpr const char* vertex_source = R"(#version 300 es
layout (location = 0) in vec2 position;
layout (location = 1) in vec2 uv;
layout (location = 2) in vec4 colour;
uniform mat4 projection;
out vec2 frag_uv;
out vec4 frag_colour;
void main() {
    frag_uv = uv;
    frag_colour = colour;
    gl_Position = projection * vec4(position, 0.0, 1.0);
}
)";

constexpr const char* fragment_source = R"(#version 300 es
precision mediump float;
uniform sampler2D texture_unit;
in vec2 frag_uv;
in vec4 frag_colour;
layout (location = 0) out vec4 out_colour;
void main() {
    out_colour = frag_colour * texture(texture_unit, frag_uv);
}
)";

GLuint compile(GLenum kind, const char* source) {
    const GLuint shader = glCreateShader(kind);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok); // once at start, not per frame
    if (ok != GL_TRUE) {
        char log[512] = {};
        glGetShaderInfoLog(shader, sizeof log, nullptr, log);
        emscripten_log(EM_LOG_ERROR, "PeddleNet: shader did not compile: %s", log);
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

bool create_objects() {
    const GLuint vs = compile(GL_VERTEX_SHADER, vertex_source);
    const GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_source);
    if (vs == 0 || fs == 0) return false;
    gl.program = glCreateProgram();
    glAttachShader(gl.program, vs);
    glAttachShader(gl.program, fs);
    glLinkProgram(gl.program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = GL_FALSE;
    glGetProgramiv(gl.program, GL_LINK_STATUS, &ok);
    if (ok != GL_TRUE) {
        emscripten_log(EM_LOG_ERROR, "PeddleNet: shader program did not link");
        return false;
    }
    gl.projection = glGetUniformLocation(gl.program, "projection");
    gl.texture = glGetUniformLocation(gl.program, "texture_unit");

    // One vertex array for the app's life: it remembers both buffers and the vertex layout.
    glGenVertexArrays(1, &gl.vertex_array);
    glGenBuffers(1, &gl.vertices);
    glGenBuffers(1, &gl.indices);
    glBindVertexArray(gl.vertex_array);
    glBindBuffer(GL_ARRAY_BUFFER, gl.vertices);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, gl.indices);
    glEnableVertexAttribArray(0);
    glEnableVertexAttribArray(1);
    glEnableVertexAttribArray(2);
    const auto at = [](std::size_t offset) { return reinterpret_cast<const void*>(offset); };
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), at(offsetof(ImDrawVert, pos)));
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), at(offsetof(ImDrawVert, uv)));
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), at(offsetof(ImDrawVert, col)));
    glBindVertexArray(0);
    return true;
}

GLuint texture_name(ImTextureID id) {
    return static_cast<GLuint>(static_cast<std::intptr_t>(id));
}

void update_texture(ImTextureData* tex) {
    switch (tex->Status) {
    case ImTextureStatus_WantCreate: {
        const GLuint name = create_texture();
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, tex->Width, tex->Height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                     tex->GetPixels());
        tex->SetTexID(static_cast<ImTextureID>(name));
        tex->SetStatus(ImTextureStatus_OK);
        break;
    }
    case ImTextureStatus_WantUpdates:
        // New glyphs: upload each changed rectangle straight from the atlas' rows.
        glBindTexture(GL_TEXTURE_2D, texture_name(tex->TexID));
        glPixelStorei(GL_UNPACK_ROW_LENGTH, tex->Width);
        for (const ImTextureRect& r : tex->Updates) {
            glTexSubImage2D(GL_TEXTURE_2D, 0, r.x, r.y, r.w, r.h, GL_RGBA, GL_UNSIGNED_BYTE, tex->GetPixelsAt(r.x, r.y));
        }
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0); // other uploads (the camera) assume tight rows
        tex->SetStatus(ImTextureStatus_OK);
        break;
    case ImTextureStatus_WantDestroy:
        if (tex->UnusedFrames > 0) { // not in the frame being drawn
            const GLuint name = texture_name(tex->TexID);
            glDeleteTextures(1, &name);
            tex->SetTexID(ImTextureID_Invalid);
            tex->SetStatus(ImTextureStatus_Destroyed);
        }
        break;
    default: break;
    }
}

} // namespace

unsigned create_texture() {
    GLuint name = 0;
    glGenTextures(1, &name);
    glBindTexture(GL_TEXTURE_2D, name);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return name;
}

void delete_texture(unsigned texture) {
    const GLuint name = texture;
    glDeleteTextures(1, &name);
}

namespace {

void set_render_state(const ImDrawData* dd, int fb_width, int fb_height) {
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_SCISSOR_TEST);
    glViewport(0, 0, fb_width, fb_height);
    // Orthographic projection of ImGui's display rectangle onto clip space, y pointing down.
    const float l = dd->DisplayPos.x, r = dd->DisplayPos.x + dd->DisplaySize.x;
    const float t = dd->DisplayPos.y, b = dd->DisplayPos.y + dd->DisplaySize.y;
    const float projection[16] = {
        2.0f / (r - l), 0, 0, 0, 0, 2.0f / (t - b), 0, 0, 0, 0, -1, 0, (r + l) / (l - r), (t + b) / (b - t), 0, 1,
    };
    glUseProgram(gl.program);
    glUniform1i(gl.texture, 0);
    glUniformMatrix4fv(gl.projection, 1, GL_FALSE, projection);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(gl.vertex_array);
    glBindBuffer(GL_ARRAY_BUFFER, gl.vertices); // not part of the vertex array's state
}

} // namespace

bool renderer_init() {
    ImGuiIO& io = ImGui::GetIO();
    io.BackendRendererName = "peddlenet-webgl2";
    io.BackendFlags |= ImGuiBackendFlags_RendererHasTextures;
    GLint max_size = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size); // once: the atlas must not outgrow it
    ImGuiPlatformIO& platform_io = ImGui::GetPlatformIO();
    platform_io.Renderer_TextureMaxWidth = platform_io.Renderer_TextureMaxHeight = max_size;
    return create_objects();
}

bool renderer_recreate() {
    gl = Objects{};
    // The textures died with the context: marked destroyed, ImGui asks for them again.
    for (ImTextureData* tex : ImGui::GetPlatformIO().Textures) {
        if (tex->Status == ImTextureStatus_Destroyed) continue;
        tex->SetTexID(ImTextureID_Invalid);
        tex->SetStatus(ImTextureStatus_Destroyed);
    }
    return create_objects();
}

void renderer_render(ImDrawData* dd) {
    const int fb_width = static_cast<int>(dd->DisplaySize.x * dd->FramebufferScale.x);
    const int fb_height = static_cast<int>(dd->DisplaySize.y * dd->FramebufferScale.y);
    if (fb_width <= 0 || fb_height <= 0) return;
    if (dd->Textures) {
        for (ImTextureData* tex : *dd->Textures) {
            if (tex->Status != ImTextureStatus_OK) update_texture(tex);
        }
    }
    set_render_state(dd, fb_width, fb_height);

    const ImVec2 clip_offset = dd->DisplayPos, clip_scale = dd->FramebufferScale;
    for (const ImDrawList* list : dd->CmdLists) {
        // Orphaning upload: the driver may still read last frame's data while we write this one's.
        glBufferData(GL_ARRAY_BUFFER, list->VtxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawVert)),
                     list->VtxBuffer.Data, GL_STREAM_DRAW);
        glBufferData(GL_ELEMENT_ARRAY_BUFFER, list->IdxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawIdx)),
                     list->IdxBuffer.Data, GL_STREAM_DRAW);
        for (const ImDrawCmd& cmd : list->CmdBuffer) {
            if (cmd.UserCallback) {
                if (cmd.UserCallback == ImDrawCallback_ResetRenderState) {
                    set_render_state(dd, fb_width, fb_height);
                } else {
                    cmd.UserCallback(list, &cmd);
                }
                continue;
            }
            const ImVec2 min((cmd.ClipRect.x - clip_offset.x) * clip_scale.x, (cmd.ClipRect.y - clip_offset.y) * clip_scale.y);
            const ImVec2 max((cmd.ClipRect.z - clip_offset.x) * clip_scale.x, (cmd.ClipRect.w - clip_offset.y) * clip_scale.y);
            if (max.x <= min.x || max.y <= min.y) continue;
            glScissor(static_cast<int>(min.x), static_cast<int>(fb_height - max.y), static_cast<int>(max.x - min.x),
                      static_cast<int>(max.y - min.y));
            glBindTexture(GL_TEXTURE_2D, texture_name(cmd.GetTexID()));
            // Without RendererHasVtxOffset ImGui keeps every list within 16-bit indices, so
            // VtxOffset is always 0 (WebGL2 has no base-vertex draw).
            glDrawElements(GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount),
                           sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                           reinterpret_cast<const void*>(cmd.IdxOffset * sizeof(ImDrawIdx)));
        }
    }
    glDisable(GL_SCISSOR_TEST);
    glBindVertexArray(0);
}

} // namespace peddlenet::platform
