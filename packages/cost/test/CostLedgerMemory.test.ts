import { CostLedger } from "../src/index.ts"
import { ledgerSuite } from "./ledgerSuite.ts"

ledgerSuite("CostLedger (memory)", CostLedger.layerMemory)
