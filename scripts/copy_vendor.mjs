// Copy the browser bundles and stylesheets the pages load from node_modules/ into
// web/static/vendor/<package>/ (git-ignored). Run by `npm run vendor` (and `make npm`).
// To ship another library, add an entry to BUNDLES.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'web', 'static', 'vendor');

// package name -> files or folders under the package, copied with their relative paths
const BUNDLES = {
  'bpmn-js': [
    'dist/bpmn-viewer.production.min.js',
    'dist/bpmn-navigated-viewer.production.min.js',
    'dist/bpmn-modeler.production.min.js',
    'dist/assets',
  ],
  'dmn-js': [
    'dist/dmn-viewer.production.min.js',
    'dist/dmn-modeler.production.min.js',
    'dist/assets',
  ],
  'htmx.org': [
    'dist/htmx.min.js',
  ],
};

const versions = {};
for (const [name, files] of Object.entries(BUNDLES)) {
  const pkgDir = join(root, 'node_modules', name);
  if (!existsSync(pkgDir)) {
    console.error(`copy_vendor: ${name} is not installed; run \`npm ci\` first`);
    process.exit(1);
  }
  const target = join(vendor, name);
  rmSync(target, { recursive: true, force: true });
  for (const file of files) {
    const source = join(pkgDir, file);
    if (!existsSync(source)) {
      console.error(`copy_vendor: ${name} has no ${file}`);
      process.exit(1);
    }
    const dest = join(target, file.replace(/^dist\//, ''));
    mkdirSync(dirname(dest), { recursive: true });
    cpSync(source, dest, { recursive: true });
  }
  versions[name] = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  console.log(`copy_vendor: ${name} ${versions[name]} -> web/static/vendor/${name}/`);
}
writeFileSync(join(vendor, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
