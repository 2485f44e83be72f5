# %% [markdown]
# # sfd in a notebook: premise → drama → rendered storyboard → edit → improve → cut
# Uses the simulated LLM and renderer so it runs anywhere; pass `llm="env"`
# and `render="env"` to use OPENAI_API_KEY (or OPENAI_API_BASE for an
# OpenAI-compatible server, and the SFD_IMAGE_* / SFD_VIDEO_* / SFD_SPEECH_*
# settings for other media providers). Progress shows as a tqdm bar when
# tqdm is installed.

# %%
import sfd

studio = sfd.Studio(storage="memory://", llm="simulated", render="simulated")

# %% Generate, with progress
drama = studio.generate(
    "A corgi inventor becomes the richest dog in the world, 3 episodes",
    progress=lambda p: print(f"{p['stage']}: {p['done']}/{p['total']}"),
)
print(drama["title"], "-", len(drama["episodes"]), "episodes")

# %% What rendering would do and cost, before anything is called
plan = studio.render_plan(drama["id"])
print(len(plan["nodes"]), "assets to render, about $%.2f" % plan["estimatedCostUsd"])

# %% Render portraits, storyboard images, clips and voices in depends_on order
drama = studio.render(drama["id"])

# %% The storyboard: images shown, clips and voices playable (HTML in Jupyter)
board = sfd.storyboard(drama, studio)
board

# %% Edit a scene
ep = drama["episodes"][0]
scene = studio.update_scene(drama["id"], ep["id"], ep["scenes"][0]["id"], {"description": "Night. Rain on the garage roof."})
print(scene["description"])

# %% Critique, then improve from the critique
critique = studio.critique(drama["id"])
print(critique["critique"]["scores"])
better = studio.improve(drama["id"], critique["feedback"])
print("improved:", better["id"], better["metadata"]["improvement"]["changedEpisodes"])

# %% Cut the first episode into one vertical MP4, and export the script
import shutil

if shutil.which("ffmpeg"):
    cut = studio.assemble(drama["id"], drama["episodes"][0]["id"])
    print("episode cut:", cut["url"], f"{cut['duration']:.1f} s")
print(studio.export(drama["id"], "fountain").decode()[:300])
