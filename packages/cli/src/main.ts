import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { main } from "./Cli.ts"

NodeRuntime.runMain(main.pipe(Effect.provide(NodeServices.layer)))
