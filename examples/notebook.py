# %% [markdown]
# # sfd in a notebook: premise → drama → storyboard → edit → improve
# Uses the simulated LLM so it runs anywhere; pass `llm="env"` to use
# OPENAI_API_KEY (or OPENAI_API_BASE for an OpenAI-compatible server).

# %%
import sfd

studio = sfd.Studio(storage="memory://", llm="simulated")

# %% Generate, with progress
drama = studio.generate(
    "A corgi inventor becomes the richest dog in the world, 3 episodes",
    progress=lambda p: print(f"{p['stage']}: {p['done']}/{p['total']}"),
)
print(drama["title"], "-", len(drama["episodes"]), "episodes")

# %% Storyboard (renders as HTML in Jupyter)
board = sfd.storyboard(drama)
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
