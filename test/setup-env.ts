// Every test process: no network chatter from cdktf or Terraform (docs/design.md, "Facts").
import { join } from 'node:path';

process.env.CHECKPOINT_DISABLE = '1';
process.env.DISABLE_VERSION_CHECK = '1';
process.env.TF_CLI_CONFIG_FILE = join(__dirname, 'fixtures', 'empty.tfrc');
// Synth warns differently on a CI runner (CI=true, as .ci/run sets): tests that are about it set CI themselves.
delete process.env.CI;
