// Copy the browser bundles and stylesheets the pages load from node_modules/ into
// web/static/vendor/<package>/ (git-ignored), and build the bundles in BUILDS from our own
// sources with esbuild. Run by `npm run vendor` (and `make npm`).
// To ship another library, add an entry to BUNDLES (prebuilt files) or import it from a BUILDS entry.
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

// folder under web/static/vendor/ -> {output name: entry point}. The process modeler (bpmn-js
// Modeler with bpmn-js-properties-panel, @bpmn-io/properties-panel and EOMS's spiffworkflow
// properties) and the form editor (CodeMirror) ship no prebuilt browser bundle that takes custom
// providers, so they are bundled here, each with its CSS beside it.
const BUILDS = {
  'eoms-modeler': {
    'bpmn-modeler': 'web/static/modeler/src/bpmn-modeler.js',
    'form-editor': 'web/static/modeler/src/form-editor.js',
  },
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
const esbuild = await import('esbuild');
for (const [folder, entries] of Object.entries(BUILDS)) {
  const target = join(vendor, folder);
  rmSync(target, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir: target,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: '@bpmn-io/properties-panel/preact',
    loader: { '.svg': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.eot': 'dataurl', '.ttf': 'dataurl' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  versions[folder] = 'built';
  console.log(`copy_vendor: built ${Object.keys(entries).join(', ')} -> web/static/vendor/${folder}/`);
}
writeFileSync(join(vendor, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
