import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { main } from "./Cli.ts"

NodeRuntime.runMain(main.pipe(Effect.provide(NodeServices.layer)))
