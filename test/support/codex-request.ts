/**
 * A request from Codex CLI 0.171.0 (`codex exec "say pong"`), captured from the real CLI against a
 * local server (`POST /v1/responses`) and trimmed: long texts and descriptions shortened, nothing
 * else changed. What matters is kept as sent: `input` items with ids and the roles `developer` and
 * `user` (no `instructions`), function tools with `strict: false`, a `namespace` tool (a group of
 * functions, `tools.4`), the hosted `web_search` tool (`tools.8`), `tool_choice`, `parallel_tool_calls`,
 * `reasoning: {summary: 'auto'}`, `store: false`, `include: ['reasoning.encrypted_content']`,
 * `prompt_cache_key`, `client_metadata` and `stream: true`, and the headers Codex sends.
 */
export const CODEX_HEADERS: Readonly<Record<string, string>> = {
  "x-codex-beta-features": "remote_compaction_v2",
  "x-client-request-id": "01a22ba1-eeaf-7740-854f-84208e5f55ba",
  "session-id": "01a22ba1-eeaf-7740-854f-84208e5f55ba",
  "accept": "text/event-stream",
  "originator": "codex_exec",
  "user-agent": "codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.171.0)"
};

/** The namespace tool's functions, which the gateway offers flattened. */
export const CODEX_NAMESPACED = ['close_agent', 'resume_agent', 'send_input', 'spawn_agent', 'wait_agent'];

export function codexRequest(model: string): Record<string, unknown> {
  return {
    "model": model,
    "stream": true,
    "input": [
      {
        "type": "message",
        "id": "msg_8807d365-4229-5381-a7b3-07c809d0d120",
        "role": "developer",
        "content": [
          {
            "type": "input_text",
            "text": "You are a coding agent running in the Codex CLI, a terminal-based coding assistant. Codex CLI is an open source project led by OpenAI. You are expected to be precise, safe, and helpful.\n\nYour capabilities:\n\n- Receive user prompts and other…"
          }
        ]
      },
      {
        "type": "message",
        "id": "msg_01a22ba1-ef06-7a63-952f-dff808fa2e70",
        "role": "developer",
        "content": [
          {
            "type": "input_text",
            "text": "<skills_instructions>\n## Skills\nA skill is a set of local instructions to follow that is stored in a `SKILL.md` file. Below is the list of skills that can be used. Each entry includes a name, description, and a short path that can be expand…"
          },
          {
            "type": "input_text",
            "text": "<permissions instructions>\nFilesystem sandboxing defines which files can be read or written. `sandbox_mode` is `read-only`: The sandbox only permits reading files. Network access is restricted.\nApproval policy is currently never. Do not pro…"
          }
        ]
      },
      {
        "type": "message",
        "id": "msg_01a22ba1-ef06-7a63-952f-e0073eda14f7",
        "role": "user",
        "content": [
          {
            "type": "input_text",
            "text": "<environment_context>\n  <cwd>/tmp/agents/work</cwd>\n  <shell>bash</shell>\n  <current_date>2026-11-30</current_date>\n  <timezone>Etc/UTC</timezone>\n  <filesystem><workspace_roots><root>/tmp/agents/work</root></workspace_roots><permission_pro…"
          }
        ]
      },
      {
        "type": "message",
        "id": "msg_01a22ba1-ef22-7d32-b7de-98d27a54faf3",
        "role": "user",
        "content": [
          {
            "type": "input_text",
            "text": "say pong"
          }
        ]
      }
    ],
    "tools": [
      {
        "type": "function",
        "name": "exec_command",
        "description": "Runs a command in a PTY, returning output or a session ID for ongoing interaction.",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "cmd": {
              "type": "string",
              "description": "Shell command to execute."
            },
            "justification": {
              "type": "string",
              "description": "User-facing approval question for `require_escalated`; omit otherwise."
            },
            "login": {
              "type": "boolean",
              "description": "Request login-shell startup. Omit to inherit."
            },
            "max_output_tokens": {
              "type": "number",
              "description": "Output token budget. Defaults to 10000 tokens; larger requests may be capped by policy."
            },
            "prefix_rule": {
              "type": "array",
              "description": "Reusable approval prefix for `cmd`, only with `sandbox_permissions: \"require_escalated\"`; for example [\"git\", \"pull\"].",
              "items": {
                "type": "string"
              }
            },
            "sandbox_permissions": {
              "type": "string",
              "description": "Per-command sandbox override. Defaults to `use_default`; use `require_escalated` for unsandboxed execution.",
              "enum": [
                "use_default",
                "require_escalated"
              ]
            },
            "shell": {
              "type": "string",
              "description": "Shell binary to launch. Defaults to the user's default shell."
            },
            "tty": {
              "type": "boolean",
              "description": "True allocates a PTY for the command; false or omitted uses plain pipes."
            },
            "workdir": {
              "type": "string",
              "description": "Working directory for the command. Defaults to the turn cwd."
            },
            "yield_time_ms": {
              "type": "number",
              "description": "Wait before yielding output. Defaults to 10000 ms; effective range is 250-30000 ms."
            }
          },
          "required": [
            "cmd"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "function",
        "name": "write_stdin",
        "description": "Writes characters to an existing unified exec session and returns recent output.",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "chars": {
              "type": "string",
              "description": "Bytes to write to stdin. Defaults to empty, which polls without writing."
            },
            "max_output_tokens": {
              "type": "number",
              "description": "Output token budget. Defaults to 10000 tokens; larger requests may be capped by policy."
            },
            "session_id": {
              "type": "number",
              "description": "Identifier of the running unified exec session."
            },
            "yield_time_ms": {
              "type": "number",
              "description": "Wait before yielding output. Non-empty writes default to 250 ms and cap at 30000 ms; empty polls wait 5000-300000 ms by default."
            }
          },
          "required": [
            "session_id"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "function",
        "name": "request_user_input",
        "description": "Request user input for one to three short questions and wait for the response. This tool is only available in Plan mode.",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "questions": {
              "type": "array",
              "description": "Questions to show the user. Prefer 1 and do not exceed 3",
              "items": {
                "type": "object",
                "properties": {
                  "header": {
                    "type": "string",
                    "description": "Short header label shown in the UI (12 or fewer chars)."
                  },
                  "id": {
                    "type": "string",
                    "description": "Stable identifier for mapping answers (snake_case)."
                  },
                  "options": {
                    "type": "array",
                    "description": "Provide 2-3 mutually exclusive choices. Put the recommended option first and suffix its label with \"(Recommended)\". Do not include an \"Other\" option in this lis…",
                    "items": {
                      "type": "object",
                      "properties": {
                        "description": {
                          "type": "string",
                          "description": "One short sentence explaining impact/tradeoff if selected."
                        },
                        "label": {
                          "type": "string",
                          "description": "User-facing label (1-5 words)."
                        }
                      },
                      "required": [
                        "label",
                        "description"
                      ],
                      "additionalProperties": false
                    }
                  },
                  "question": {
                    "type": "string",
                    "description": "Single-sentence prompt shown to the user."
                  }
                },
                "required": [
                  "id",
                  "header",
                  "question",
                  "options"
                ],
                "additionalProperties": false
              }
            }
          },
          "required": [
            "questions"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "function",
        "name": "view_image",
        "description": "View a local image file from the filesystem when visual inspection is needed. Use this for images already available on disk.",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "path": {
              "type": "string",
              "description": "Local filesystem path to an image file."
            }
          },
          "required": [
            "path"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "namespace",
        "name": "multi_agent_v1",
        "description": "Tools for spawning and managing sub-agents.",
        "tools": [
          {
            "type": "function",
            "name": "close_agent",
            "description": "Close an agent and any open descendants when they are no longer needed, and return the target agent's previous status before shutdown was requested. Completed a…",
            "strict": false,
            "parameters": {
              "type": "object",
              "properties": {
                "target": {
                  "type": "string",
                  "description": "Agent id to close (from spawn_agent)."
                }
              },
              "required": [
                "target"
              ],
              "additionalProperties": false
            }
          },
          {
            "type": "function",
            "name": "resume_agent",
            "description": "Resume a previously closed agent by id so it can receive send_input and wait_agent calls.",
            "strict": false,
            "parameters": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string",
                  "description": "Agent id to resume."
                }
              },
              "required": [
                "id"
              ],
              "additionalProperties": false
            }
          },
          {
            "type": "function",
            "name": "send_input",
            "description": "Send a message to an existing agent. Use interrupt=true to redirect work immediately. You should reuse the agent by send_input if you believe your assigned task…",
            "strict": false,
            "parameters": {
              "type": "object",
              "properties": {
                "interrupt": {
                  "type": "boolean",
                  "description": "True interrupts the current task and handles this message immediately; false or omitted queues it."
                },
                "items": {
                  "type": "array",
                  "description": "Structured input items. Use this to pass explicit mentions (for example app:// connector paths).",
                  "items": {
                    "type": "object",
                    "properties": {
                      "audio_url": {
                        "type": "string",
                        "description": "Audio data URL when type is audio."
                      },
                      "image_url": {
                        "type": "string",
                        "description": "Image URL when type is image."
                      },
                      "name": {
                        "type": "string",
                        "description": "Display name when type is skill or mention."
                      },
                      "path": {
                        "type": "string",
                        "description": "Path when type is local_image/local_audio/skill, or structured mention target such as app://<connector-id> or plugin://<plugin-name>@<marketplace-name> when typ…"
                      },
                      "text": {
                        "type": "string",
                        "description": "Text content when type is text."
                      },
                      "type": {
                        "type": "string",
                        "description": "Input item type: text, image, local_image, audio, local_audio, skill, or mention."
                      }
                    },
                    "additionalProperties": false
                  }
                },
                "message": {
                  "type": "string",
                  "description": "Legacy plain-text message to send to the agent. Use either message or items."
                },
                "target": {
                  "type": "string",
                  "description": "Agent id to message (from spawn_agent)."
                }
              },
              "required": [
                "target"
              ],
              "additionalProperties": false
            }
          },
          {
            "type": "function",
            "name": "spawn_agent",
            "description": "\n        \n        Available model overrides (optional; inherited parent model is preferred):\n- `gpt-6.2-sol`: Fast, go-to model for coding and everyday work. Re…",
            "strict": false,
            "parameters": {
              "type": "object",
              "properties": {
                "fork_context": {
                  "type": "boolean",
                  "description": "True forks the current thread history into the new agent; false or omitted starts with only the initial prompt."
                },
                "items": {
                  "type": "array",
                  "description": "Structured input items. Use this to pass explicit mentions (for example app:// connector paths).",
                  "items": {
                    "type": "object",
                    "properties": {
                      "audio_url": {
                        "type": "string",
                        "description": "Audio data URL when type is audio."
                      },
                      "image_url": {
                        "type": "string",
                        "description": "Image URL when type is image."
                      },
                      "name": {
                        "type": "string",
                        "description": "Display name when type is skill or mention."
                      },
                      "path": {
                        "type": "string",
                        "description": "Path when type is local_image/local_audio/skill, or structured mention target such as app://<connector-id> or plugin://<plugin-name>@<marketplace-name> when typ…"
                      },
                      "text": {
                        "type": "string",
                        "description": "Text content when type is text."
                      },
                      "type": {
                        "type": "string",
                        "description": "Input item type: text, image, local_image, audio, local_audio, skill, or mention."
                      }
                    },
                    "additionalProperties": false
                  }
                },
                "message": {
                  "type": "string",
                  "description": "Initial plain-text task for the new agent. Use either message or items."
                },
                "model": {
                  "type": "string",
                  "description": "Model override for the new agent. Omit unless an explicit override is needed."
                },
                "reasoning_effort": {
                  "type": "string",
                  "description": "Reasoning effort override for the new agent. Omit to inherit the parent effort."
                }
              },
              "additionalProperties": false
            }
          },
          {
            "type": "function",
            "name": "wait_agent",
            "description": "Wait for agents to reach a final status. Completed statuses may include the agent's final message. Returns empty status when timed out. Once the agent reaches a…",
            "strict": false,
            "parameters": {
              "type": "object",
              "properties": {
                "targets": {
                  "type": "array",
                  "description": "Agent ids to wait on. Pass multiple ids to wait for whichever finishes first.",
                  "items": {
                    "type": "string"
                  }
                },
                "timeout_ms": {
                  "type": "number",
                  "description": "Timeout in milliseconds. Defaults to 30000, min 10000, max 3600000. Prefer longer waits (minutes) to avoid busy polling."
                }
              },
              "required": [
                "targets"
              ],
              "additionalProperties": false
            }
          }
        ]
      },
      {
        "type": "function",
        "name": "get_goal",
        "description": "Get the current goal for this thread, including status, budgets, token and elapsed-time usage, and remaining token budget.",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {},
          "required": [],
          "additionalProperties": false
        }
      },
      {
        "type": "function",
        "name": "create_goal",
        "description": "Create a goal only when explicitly requested by the user or system/developer instructions; do not infer goals from ordinary tasks.\nSet token_budget only when an…",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "objective": {
              "type": "string",
              "description": "Required. The concrete objective to start pursuing. This starts a new active goal when no goal exists or replaces the current goal when it is complete."
            },
            "token_budget": {
              "type": "integer",
              "description": "Positive token budget for the new goal. Omit unless explicitly requested."
            }
          },
          "required": [
            "objective"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "function",
        "name": "update_goal",
        "description": "Update the existing goal.\nSet status to `paused` only at the user's explicit request to pause this goal, never on your own initiative. Ask if unclear; a later r…",
        "strict": false,
        "parameters": {
          "type": "object",
          "properties": {
            "status": {
              "type": "string",
              "description": "Required. `paused` requires an explicit user request. Set to `complete` only when the objective is achieved and no required work remains. Set to `blocked` only…",
              "enum": [
                "complete",
                "blocked",
                "paused"
              ]
            }
          },
          "required": [
            "status"
          ],
          "additionalProperties": false
        }
      },
      {
        "type": "web_search",
        "external_web_access": false
      }
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": true,
    "reasoning": {
      "summary": "auto"
    },
    "store": false,
    "include": [
      "reasoning.encrypted_content"
    ],
    "prompt_cache_key": "01a22ba1-eeaf-7740-854f-84208e5f55ba",
    "client_metadata": {
      "x-codex-turn-metadata": "{\"installation_id\":\"664d8be2-ddb3-41fe-a788-3f86e9fb40ac\",\"session_id\":\"01a22ba1-eeaf-7740-854f-84208e5f55ba\",\"thread_id…"
    }
  };
}
